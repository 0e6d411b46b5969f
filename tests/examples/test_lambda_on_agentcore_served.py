"""End to end: the example served by uvicorn against moto's server; the Lambda call replays its result."""

from __future__ import annotations

import sys
import uuid

import pytest

from harness.step_server import StepServer
from local_cloud.aws import EmbeddedAws
from shared import aws
from tests.examples.helpers import FUNCTION_NAME, create_tables, load_example

pytestmark = pytest.mark.e2e

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
REQUEST_ID_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"


@pytest.fixture
def embedded_aws():
    with EmbeddedAws() as emulator:
        yield emulator


def test_served_over_http_and_called_as_lambda_share_one_idempotent_result(
    embedded_aws, tmp_path, monkeypatch, lambda_env_restored, lambda_context
):
    ddb = embedded_aws.client("dynamodb")
    tables = create_tables(ddb, f"served-{uuid.uuid4().hex[:10]}")
    env = {
        **embedded_aws.env(),
        "RESULTS_TABLE_NAME": tables.results,
        "IDEMPOTENCY_TABLE_NAME": tables.idempotency,
        "AWS_LAMBDA_FUNCTION_NAME": FUNCTION_NAME,
        # Powertools' Logger reads LOG_LEVEL too; INFO keeps its per-invocation line.
        "LOG_LEVEL": "INFO",
    }
    server = StepServer("examples/lambda_on_agentcore", env=env)
    server.log_path = tmp_path / "server.log"
    event = {"a": 19, "b": 23, "client_token": f"token-{uuid.uuid4().hex}"}
    with server:
        rid = str(uuid.uuid4())
        headers = {SESSION_HEADER: f"session-{uuid.uuid4().hex}", REQUEST_ID_HEADER: rid}
        status, first = server.invoke(event, headers=headers)
        replay_status, replay = server.invoke(event, headers={**headers, REQUEST_ID_HEADER: "another"})
        bad_status, bad = server.invoke({**event, "b": 24})

    assert status == 200, first
    assert first["result"] == "42"
    assert first["request_id"] == rid
    assert first["function_name"] == FUNCTION_NAME
    assert (replay_status, replay) == (200, first)
    assert bad_status == 500
    assert bad["error"]["error_type"] == "IdempotencyValidationError"

    # The same handler, called in this process as Lambda would call it, on the same tables.
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    aws.reset_clients()
    handler_module, _ = load_example(monkeypatch, tables)
    try:
        assert handler_module.handler(dict(event), lambda_context()) == first
        other = {"a": 1, "b": 1, "client_token": f"token-{uuid.uuid4().hex}"}
        fresh = handler_module.handler(other, lambda_context())
    finally:
        sys.modules.pop("handler", None)

    items = ddb.scan(TableName=tables.results, ConsistentRead=True)["Items"]
    assert sorted(item["id"]["S"] for item in items) == sorted([first["id"], fresh["id"]])
    log = server.log_path.read_text()
    assert f'"function_request_id":"{rid}"' in log
