"""Helpers for the tests of examples/lambda_on_agentcore: a Lambda-made context, the example's tables, the
example's handler and app imported afresh."""

from __future__ import annotations

import importlib
import sys
import time
import uuid
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from commands.steps import ROOT
from harness.modules import load_module

EXAMPLE = ROOT / "examples" / "lambda_on_agentcore"
FUNCTION_NAME = "sums-on-lambda"
REGION = "us-east-1"


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
