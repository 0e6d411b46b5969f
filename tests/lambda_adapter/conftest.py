"""Fixtures for the Lambda adapter: moto in-process, the example's tables, a Lambda-made context."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from moto import mock_aws

from devtools.modules import load_module
from shared import aws
from shared.agentcore import lambda_adapter

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "lambda_on_agentcore"
FUNCTION_NAME = "sums-on-lambda"
REGION = "us-east-1"
LAMBDA_VARIABLES = (
    lambda_adapter.AWS_LAMBDA_FUNCTION_NAME,
    lambda_adapter.AWS_LAMBDA_FUNCTION_VERSION,
    lambda_adapter.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    lambda_adapter.AWS_LAMBDA_LOG_GROUP_NAME,
    lambda_adapter.AWS_LAMBDA_LOG_STREAM_NAME,
)


class LambdaRuntimeContext:
    """What Lambda's Python runtime passes as `context` (attributes as the runtime sets them)."""

    def __init__(self, function_name: str, timeout_ms: int = 30_000) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:{function_name}"
        self.memory_limit_in_mb = "512"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"2026/01/01/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class Tables:
    results: str
    idempotency: str


def create_tables(ddb: Any, prefix: str) -> Tables:
    """Create the example's results table and Powertools' idempotency table (key `id`)."""
    tables = Tables(results=f"{prefix}-results", idempotency=f"{prefix}-idempotency")
    for name in (tables.results, tables.idempotency):
        ddb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    ddb.update_time_to_live(
        TableName=tables.idempotency,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"},
    )
    return tables


@pytest.fixture
def lambda_env_restored():
    """Remove the AWS_LAMBDA_* variables the adapter exported during the test."""
    before = {name: os.environ.get(name) for name in LAMBDA_VARIABLES}
    yield
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def aws_env(monkeypatch, lambda_env_restored):
    """moto in-process with fake credentials; the shared clients forgotten before and after."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", *LAMBDA_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    aws.reset_clients()
    with mock_aws():
        yield
    aws.reset_clients()


@dataclass
class Example:
    handler_module: ModuleType
    agent_module: ModuleType
    tables: Tables
    ddb: Any

    @property
    def handler(self) -> Any:
        return self.handler_module.handler

    def result_items(self) -> list[dict[str, Any]]:
        return self.ddb.scan(TableName=self.tables.results, ConsistentRead=True)["Items"]

    def idempotency_items(self) -> list[dict[str, Any]]:
        return self.ddb.scan(TableName=self.tables.idempotency, ConsistentRead=True)["Items"]


def load_example(monkeypatch, tables: Tables) -> tuple[ModuleType, ModuleType]:
    """Import the example's handler.py and agent.py afresh (module-level clients bind to moto now)."""
    monkeypatch.setenv("RESULTS_TABLE_NAME", tables.results)
    monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", tables.idempotency)
    monkeypatch.syspath_prepend(str(EXAMPLE))
    sys.modules.pop("handler", None)
    handler_module = importlib.import_module("handler")
    agent_module = load_module(EXAMPLE / "agent.py", "lambda_on_agentcore_agent", fresh=True)
    return handler_module, agent_module


@pytest.fixture
def example(aws_env, monkeypatch):
    """The example Lambda and its AgentCore app, on fresh tables, with the Lambda's function name."""
    import boto3

    monkeypatch.setenv(lambda_adapter.AWS_LAMBDA_FUNCTION_NAME, FUNCTION_NAME)
    ddb = boto3.client("dynamodb", region_name=REGION)
    tables = create_tables(ddb, f"lambda-adapter-{uuid.uuid4().hex[:10]}")
    handler_module, agent_module = load_example(monkeypatch, tables)
    yield Example(handler_module, agent_module, tables, ddb)
    sys.modules.pop("handler", None)


@pytest.fixture
def lambda_context():
    """A fresh Lambda runtime context per call, as Lambda makes one per invocation."""
    return lambda: LambdaRuntimeContext(FUNCTION_NAME)
