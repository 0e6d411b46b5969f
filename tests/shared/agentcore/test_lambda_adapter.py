"""The adapter's contract: the Lambda context, the event formats, errors, one invocation at a time."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid

import pytest
from bedrock_agentcore.runtime import BedrockAgentCoreApp
from bedrock_agentcore.runtime.context import BedrockAgentCoreContext
from starlette.testclient import TestClient

from shared.agentcore import MIDDLEWARE
from shared.agentcore.lambda_adapter import (
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    AWS_LAMBDA_FUNCTION_NAME,
    lambda_entrypoint,
)
from shared.core.lambda_context import LambdaContext
from shared.core.errors import NotFound

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
REQUEST_ID_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"


@pytest.fixture(autouse=True)
def _clean_lambda_env(monkeypatch, lambda_env_restored):
    for name in (AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_MEMORY_SIZE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")


def serve(handler, **options):
    app = BedrockAgentCoreApp(middleware=MIDDLEWARE)
    app.entrypoint(lambda_entrypoint(handler, **options))
    return app


def post(app, body=None, *, content=None, headers=None, request_id=None, session=None):
    request_id = request_id or str(uuid.uuid4())
    session = session or f"session-{uuid.uuid4().hex}"
    all_headers = {SESSION_HEADER: session, REQUEST_ID_HEADER: request_id, **(headers or {})}
    with TestClient(app) as client:
        if content is not None:
            return client.post("/invocations", content=content, headers=all_headers)
        return client.post("/invocations", json=body, headers=all_headers)


def describe(event, context):
    """A Lambda handler that reports what it was given."""
    return {
        "event": event,
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "identity": context.identity,
        "client_context": context.client_context,
    }


def test_context_carries_the_lambda_attributes_and_the_runtime_request_id():
    app = serve(describe, function_name="orders", account_id="123456789012")
    rid = str(uuid.uuid4())
    session = f"session-{uuid.uuid4().hex}"
    response = post(app, {"a": 1, "nested": {"b": [1, 2.5, None]}}, request_id=rid, session=session)

    assert response.status_code == 200
    got = response.json()
    assert got["event"] == {"a": 1, "nested": {"b": [1, 2.5, None]}}
    assert got["aws_request_id"] == rid
    assert got["function_name"] == "orders"
    assert got["function_version"] == "$LATEST"
    assert got["invoked_function_arn"] == "arn:aws:lambda:eu-west-1:123456789012:function:orders"
    assert got["memory_limit_in_mb"] == "8192"
    assert got["log_group_name"] == "/aws/bedrock-agentcore/runtimes/orders"
    assert got["log_stream_name"].endswith(f"/[$LATEST]{session}")
    assert 899_000 < got["remaining_ms"] <= 900_000
    assert got["identity"] is None and got["client_context"] is None


def test_explicit_values_and_a_shorter_timeout():
    arn = "arn:aws:bedrock-agentcore:eu-west-1:123456789012:runtime/sums-AbCdEf1234"
    app = serve(
        describe,
        function_name="sums",
        function_version="7",
        invoked_function_arn=arn,
        memory_limit_in_mb=1024,
        log_group_name="/aws/bedrock-agentcore/runtimes/sums-AbCdEf1234-DEFAULT",
        log_stream_name="fixed",
        timeout_seconds=30,
    )
    got = post(app, {}).json()
    assert got["function_version"] == "7"
    assert got["invoked_function_arn"] == arn
    assert got["memory_limit_in_mb"] == "1024"
    assert got["log_group_name"] == "/aws/bedrock-agentcore/runtimes/sums-AbCdEf1234-DEFAULT"
    assert got["log_stream_name"] == "fixed"
    assert 29_000 < got["remaining_ms"] <= 30_000


def test_function_name_and_memory_from_the_lambda_variables(monkeypatch):
    monkeypatch.setenv(AWS_LAMBDA_FUNCTION_NAME, "from-env")
    monkeypatch.setenv(AWS_LAMBDA_FUNCTION_MEMORY_SIZE, "2048")
    got = post(serve(describe), {}).json()
    assert got["function_name"] == "from-env"
    assert got["memory_limit_in_mb"] == "2048"


def test_lambda_variables_are_exported_for_libraries_but_never_overridden(monkeypatch):
    import os

    monkeypatch.setenv(AWS_LAMBDA_FUNCTION_MEMORY_SIZE, "2048")
    lambda_entrypoint(describe, function_name="exported")
    assert os.environ[AWS_LAMBDA_FUNCTION_NAME] == "exported"
    assert os.environ[AWS_LAMBDA_FUNCTION_MEMORY_SIZE] == "2048"


def test_remaining_time_counts_down():
    def slow(event, context):
        first = context.get_remaining_time_in_millis()
        time.sleep(0.2)
        return [first, context.get_remaining_time_in_millis()]

    first, second = post(serve(slow, timeout_seconds=10), {}).json()
    assert 150 <= first - second <= 1500


def test_remaining_time_never_goes_negative():
    context = LambdaContext(
        aws_request_id="r",
        function_name="f",
        function_version="$LATEST",
        invoked_function_arn="arn",
        memory_limit_in_mb="8192",
        log_group_name="g",
        log_stream_name="s",
        deadline=time.monotonic() - 5,
    )
    assert context.get_remaining_time_in_millis() == 0


@pytest.mark.parametrize("value", [None, "text", 42, [1, "two"], {"k": "v"}, True])
def test_any_json_result_comes_back_as_json(value):
    response = post(serve(lambda event, context: value), {})
    assert response.status_code == 200
    assert response.json() == value


def test_a_handler_whose_second_parameter_is_not_named_context_still_gets_one():
    def handler(event, ctx):
        return {"rid": ctx.aws_request_id}

    rid = str(uuid.uuid4())
    assert post(serve(handler), {}, request_id=rid).json() == {"rid": rid}


def test_app_error_keeps_its_status_and_envelope():
    def handler(event, context):
        raise NotFound("no such order", field="order_id")

    rid = str(uuid.uuid4())
    response = post(serve(handler), {"order_id": "x"}, request_id=rid)
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "NotFound", "message": "no such order", "field": "order_id", "request_id": rid},
        # What botocore and the toolkit show of an error body: its top-level message.
        "message": "NotFound: no such order",
    }


def test_unhandled_exception_is_500_without_its_text():
    def handler(event, context):
        raise KeyError("secret-internal-detail")

    response = post(serve(handler), {})
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "HandlerError"
    assert error["error_type"] == "KeyError"
    assert "secret-internal-detail" not in response.text


def test_non_json_result_is_a_marshal_error():
    response = post(serve(lambda event, context: {"when": object()}), {})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "ResponseNotSerializable"


def test_http_api_event_and_proxy_response():
    seen = {}

    def handler(event, context):
        seen.update(event)
        payload = json.loads(event["body"])
        return {
            "statusCode": 201,
            "headers": {"content-type": "application/json", "x-order": "yes"},
            "body": json.dumps({"sum": payload["a"] + payload["b"]}),
        }

    rid = str(uuid.uuid4())
    response = post(
        serve(handler, event_format="http_api"),
        {"a": 1, "b": 2},
        headers={"X-Custom": "v"},
        request_id=rid,
    )
    assert response.status_code == 201
    assert response.headers["x-order"] == "yes"
    assert response.json() == {"sum": 3}
    assert seen["version"] == "2.0"
    assert seen["routeKey"] == "POST /invocations"
    assert json.loads(seen["body"]) == {"a": 1, "b": 2}
    assert seen["isBase64Encoded"] is False
    assert seen["headers"]["x-custom"] == "v"
    assert seen["requestContext"]["requestId"] == rid
    assert seen["requestContext"]["http"]["method"] == "POST"


@pytest.mark.parametrize(
    ("result", "status", "content"),
    [
        ({"statusCode": 204}, 204, b""),
        ({"statusCode": 400, "body": '{"message":"bad"}'}, 400, b'{"message":"bad"}'),
        (
            {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True},
            200,
            b"\x00\x01",
        ),
        ({"statusCode": 200, "body": {"dict": "body"}}, 200, b'{"dict":"body"}'),
    ],
)
def test_proxy_results_become_http_responses(result, status, content):
    response = post(serve(lambda event, context: result, event_format="http_api"), {})
    assert response.status_code == status
    assert response.content == content


def test_http_api_mode_passes_plain_results_through_as_json():
    response = post(serve(lambda event, context: {"plain": True}, event_format="http_api"), {})
    assert response.status_code == 200
    assert response.json() == {"plain": True}


def test_one_invocation_at_a_time_by_default():
    active = 0
    peak = 0
    guard = threading.Lock()

    def handler(event, context):
        nonlocal active, peak
        with guard:
            active += 1
            peak = max(peak, active)
        time.sleep(0.05)
        with guard:
            active -= 1
        return context.aws_request_id

    def run(entrypoint, n=4):
        def call(i):
            BedrockAgentCoreContext.set_request_context(f"rid-{i}", None)
            results[i] = entrypoint({}, None)

        results = [None] * n
        threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
        return [json.loads(r.body) for r in results]

    assert run(lambda_entrypoint(handler, function_name="f")) == [f"rid-{i}" for i in range(4)]
    assert peak == 1
    peak = 0
    run(lambda_entrypoint(handler, function_name="f", one_at_a_time=False))
    assert peak > 1


@pytest.mark.parametrize(
    "options",
    [{"timeout_seconds": 0}, {"timeout_seconds": 901}, {"event_format": "sqs"}],
)
def test_bad_options_are_refused_at_start_up(options):
    with pytest.raises(ValueError):
        lambda_entrypoint(describe, function_name="f", **options)
