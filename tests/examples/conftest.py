"""Fixtures for examples/lambda_on_agentcore: moto in-process, the example on fresh tables, a Lambda-made
context per call."""

from __future__ import annotations

import sys
import uuid

import pytest
from moto import mock_aws

from shared import aws
from shared.agentcore import lambda_adapter
from tests.examples.helpers import (
    FUNCTION_NAME,
    REGION,
    Example,
    LambdaRuntimeContext,
    create_tables,
    load_example,
)
from tests.helpers import fake_credentials


@pytest.fixture
def mock_aws_env(monkeypatch, lambda_env_restored):
    """moto in-process with fake credentials; the shared clients forgotten before and after."""
    fake_credentials(monkeypatch, REGION)
    aws.reset_clients()
    with mock_aws():
        yield
    aws.reset_clients()


@pytest.fixture
def example(mock_aws_env, monkeypatch):
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
