"""The same Lambda handler, called as Lambda calls it and served on AgentCore, gives the same results."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyKeyError,
    IdempotencyValidationError,
)
from starlette.testclient import TestClient

from tests.examples.helpers import FUNCTION_NAME

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
REQUEST_ID_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"


def invoke(app, event, request_id=None, session=None):
    """POST the event as the runtime would; return (status, body, request id sent)."""
    request_id = request_id or str(uuid.uuid4())
    headers = {SESSION_HEADER: session or f"session-{uuid.uuid4().hex}", REQUEST_ID_HEADER: request_id}
    with TestClient(app) as client:
        response = client.post("/invocations", json=event, headers=headers)
    return response.status_code, response.json(), request_id


def token():
    return f"token-{uuid.uuid4().hex}"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (1, 2, "3"),
        (0.1, 0.2, "0.3"),
        (-5, 2.5, "-2.5"),
        (10**20, 1, "100000000000000000001"),
        (0, 0, "0"),
    ],
)
def test_same_results_as_lambda_and_on_agentcore(example, lambda_context, a, b, expected):
    context = lambda_context()
    on_lambda = example.handler({"a": a, "b": b, "client_token": token()}, context)
    status, on_agentcore, rid = invoke(example.agent_module.app, {"a": a, "b": b, "client_token": token()})

    assert status == 200
    assert on_lambda["result"] == on_agentcore["result"] == expected
    assert on_lambda["request_id"] == context.aws_request_id
    # The runtime's request id is the Lambda request id the handler sees.
    assert on_agentcore["request_id"] == rid
    assert on_lambda["function_name"] == on_agentcore["function_name"] == FUNCTION_NAME
    items = {item["id"]["S"]: item for item in example.result_items()}
    assert set(items) == {on_lambda["id"], on_agentcore["id"]}
    assert items[on_agentcore["id"]]["request_id"]["S"] == rid
    assert items[on_agentcore["id"]]["result"]["N"] == expected


@pytest.mark.parametrize("first", ["lambda", "agentcore"])
def test_idempotent_replay_gives_the_first_result_on_either_side(example, lambda_context, first):
    event = {"a": 40, "b": 2, "client_token": token()}
    app = example.agent_module.app
    if first == "lambda":
        original = example.handler(dict(event), lambda_context())
    else:
        status, original, _ = invoke(app, event)
        assert status == 200

    replays = [example.handler(dict(event), lambda_context()) for _ in range(2)]
    for _ in range(2):
        status, body, rid = invoke(app, event)
        assert status == 200
        assert body["request_id"] != rid  # the stored result, not a new run
        replays.append(body)

    assert original["result"] == "42"
    assert all(replay == original for replay in replays)
    items = example.result_items()
    assert [item["id"]["S"] for item in items] == [original["id"]]
    records = example.idempotency_items()
    assert len(records) == 1
    assert records[0]["status"]["S"] == "COMPLETED"
    # Powertools prefixes the key with AWS_LAMBDA_FUNCTION_NAME: the same on both sides.
    assert records[0]["id"]["S"].startswith(f"{FUNCTION_NAME}.")


def test_replay_with_other_numbers_is_refused_on_both_sides(example, lambda_context):
    first = {"a": 1, "b": 2, "client_token": token()}
    original = example.handler(dict(first), lambda_context())
    changed = {**first, "b": 3}

    with pytest.raises(IdempotencyValidationError):
        example.handler(dict(changed), lambda_context())
    status, body, rid = invoke(example.agent_module.app, changed)

    assert status == 500
    assert body["error"]["code"] == "HandlerError"
    assert body["error"]["error_type"] == "IdempotencyValidationError"
    assert body["error"]["request_id"] == rid
    assert [item["id"]["S"] for item in example.result_items()] == [original["id"]]


@pytest.mark.parametrize(
    ("event", "error_type"),
    [
        ({"a": "1", "b": 2}, "ValueError"),
        ({"a": True, "b": 2}, "ValueError"),
        ({"b": 2}, "ValueError"),
        ({"a": 1, "b": None}, "ValueError"),
    ],
)
def test_bad_input_fails_alike_and_writes_nothing(example, lambda_context, event, error_type):
    tok = token()
    with pytest.raises(ValueError):
        example.handler({**event, "client_token": tok}, lambda_context())
    status, body, _ = invoke(example.agent_module.app, {**event, "client_token": tok})

    assert status == 500
    assert body["error"]["code"] == "HandlerError"
    assert body["error"]["error_type"] == error_type
    # The message never carries the exception text (it stays in the log).
    assert "must be" not in body["error"]["message"]
    assert example.result_items() == []
    # Powertools drops the in-progress record on failure, so the token can be used again.
    status, body, _ = invoke(example.agent_module.app, {"a": 1, "b": 1, "client_token": tok})
    assert status == 200
    assert body["result"] == "2"


def test_missing_client_token_fails_alike(example, lambda_context):
    with pytest.raises(IdempotencyKeyError):
        example.handler({"a": 1, "b": 2}, lambda_context())
    status, body, _ = invoke(example.agent_module.app, {"a": 1, "b": 2})
    assert status == 500
    assert body["error"]["error_type"] == "IdempotencyKeyError"
    assert example.result_items() == []


def test_non_json_body_gets_the_envelope_and_writes_nothing(example):
    with TestClient(example.agent_module.app) as client:
        response = client.post("/invocations", content=b"{not json", headers={SESSION_HEADER: "s" * 40})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidInput"
    assert example.result_items() == []


def test_powertools_logger_sees_the_lambda_context(example):
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    # Powertools' own JSON formatter; its stdout handler is bound once per process, so tap the logger.
    capture = Capture()
    capture.setFormatter(example.handler_module.logger.registered_formatter)
    powertools_logger = logging.getLogger("sums")
    powertools_logger.addHandler(capture)
    rid = str(uuid.uuid4())
    try:
        status, body, _ = invoke(example.agent_module.app, {"a": 2, "b": 3, "client_token": token()}, rid)
    finally:
        powertools_logger.removeHandler(capture)
    assert status == 200

    stored = [json.loads(line) for line in lines if '"stored the sum"' in line]
    assert len(stored) == 1
    log = stored[0]
    assert log["function_request_id"] == rid
    assert log["function_name"] == FUNCTION_NAME
    assert log["function_arn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{FUNCTION_NAME}"
    assert str(log["function_memory_size"]) == "8192"
    assert log["item_id"] == body["id"]
    assert log["service"] == "sums"
