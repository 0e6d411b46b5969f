"""The Lambda proxy's handler with botocore's Stubber (and, for timeouts, botocore's before-send hook)."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from harness.faults import SendFault
from shared.runtime.settings import (
    DEFAULT_RUNTIME_CONNECT_TIMEOUT,
    DEFAULT_RUNTIME_MAX_ATTEMPTS,
    DEFAULT_RUNTIME_READ_TIMEOUT,
    RuntimeTarget,
)
from tests.steps.step5.support import (
    FUNCTION_ARN,
    STEP4_ARN,
    FakeContext,
    event,
    headers_of,
    lambda_proxy,
    runtime_session,
    with_header,
)

pytestmark = pytest.mark.usefixtures("lambda_env")

REQUEST_ID = "c0ffee00-1111-4222-8333-444455556666"


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response["body"] else None


def stream(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def ok_response(data: bytes, content_type: str = "application/json", status: int = 200) -> dict[str, Any]:
    return {
        "response": stream(data),
        "contentType": content_type,
        "statusCode": status,
        "runtimeSessionId": "s" * 40,
    }


def expect_stop(stubber: Stubber, session: Any = ANY) -> None:
    """The proxy ends the one-off session it opened (StopRuntimeSession), after the answer."""
    stubber.add_response(
        "stop_runtime_session",
        {"runtimeSessionId": "s" * 40, "statusCode": 200},
        {"agentRuntimeArn": STEP4_ARN, "qualifier": "DEFAULT", "runtimeSessionId": session},
    )


@pytest.fixture
def sent() -> list[tuple[str, dict[str, Any]]]:
    """(operation, parameters) of every runtime call the handler made, in order."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def capture(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, dict(params)))

    lambda_proxy.runtime_client().meta.events.register("provide-client-params.bedrock-agentcore.*", capture)
    return calls


def expect_call(
    stubber: Stubber, response: dict[str, Any], payload: Any = ANY, session: Any = ANY, ends: bool = True
) -> None:
    """One InvokeAgentRuntime; then, for a request without X-Session-Id (`ends`), its session's stop."""
    stubber.add_response(
        "invoke_agent_runtime",
        response,
        {
            "agentRuntimeArn": STEP4_ARN,
            "qualifier": "DEFAULT",
            "runtimeSessionId": session,
            "contentType": "application/json",
            "accept": "application/json, text/event-stream",
            "payload": payload,
        },
    )
    if ends:
        expect_stop(stubber)


def test_json_answer_is_wrapped_with_the_request_id(stubber: Stubber) -> None:
    agent = {"result": 10, "dynamodb_stored": True, "item_id": "abc"}
    expect_call(stubber, ok_response(json.dumps(agent).encode()), payload=b'{"prompt":{"a":5,"b":5}}')

    # A browser's cross-origin call carries Origin; the CORS headers answer it (Powertools' CORSConfig).
    response = lambda_proxy.handler(with_header(event(), "Origin", "https://app.example.com"), FakeContext())

    assert response["statusCode"] == 200
    assert body_of(response) == {"success": True, "data": agent, "request_id": REQUEST_ID}
    assert headers_of(response)["Content-Type"] == "application/json"
    assert headers_of(response)["X-Request-Id"] == REQUEST_ID
    assert headers_of(response)["Access-Control-Allow-Origin"] == "*"
    assert response["isBase64Encoded"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"prompt": {"a": 1, "b": 2}, "delay_seconds": 5}', "delay_seconds"),
        ('{"prompt": {"a": 1, "b": 2}, "mode": "async"}', "mode"),
        ('{"prompt": {"a": 1, "b": 2}, "job_status": "x", "extra": 1}', "extra"),
    ],
)
def test_calculate_refuses_what_it_would_ignore_and_never_calls_the_runtime(
    stubber: Stubber, body: str, field: str
) -> None:
    # A delay or a mode belongs to /jobs: /calculate answers 400 naming the field instead of dropping it.
    response = lambda_proxy.handler(event(body=body), FakeContext())

    assert response["statusCode"] == 400
    error = body_of(response)["error"]
    assert (error["code"], error["field"]) == ("InvalidInput", field)
    assert "send {prompt}" in error["message"]


def test_decimals_stay_exact_both_ways(stubber: Stubber) -> None:
    expect_call(stubber, ok_response(b'{"result":0.3}'), payload=b'{"prompt":{"a":0.1,"b":0.2}}')

    response = lambda_proxy.handler(event(body='{"prompt": {"a": 0.1, "b": 0.2}}'), FakeContext())

    assert response["statusCode"] == 200
    assert '"data":{"result":0.3}' in response["body"]


def test_base64_body_is_decoded(stubber: Stubber) -> None:
    expect_call(stubber, ok_response(b'{"result":3}'), payload=b'{"prompt":{"a":1,"b":2}}')
    raw = base64.b64encode(b'{"prompt": {"a": 1, "b": 2}}').decode()

    response = lambda_proxy.handler(event(body=raw, isBase64Encoded=True), FakeContext())

    assert response["statusCode"] == 200
    assert body_of(response)["data"] == {"result": 3}


def test_sse_answer_is_assembled_from_data_lines(stubber: Stubber) -> None:
    sse = (
        b": keep-alive comment\n\n"
        b'data: {"partial": 1}\n\n'
        b"event: message\n"
        b'data: {"result":\n'
        b"data:  3}\n\n"
        b"data: plain text\n\n"
    )
    expect_call(stubber, ok_response(sse, "text/event-stream; charset=utf-8"))

    response = lambda_proxy.handler(event(), FakeContext())

    assert response["statusCode"] == 200
    assert body_of(response)["data"] == [{"partial": 1}, {"result": 3}, "plain text"]


def test_a_request_without_a_session_gets_a_fresh_one_ended_after_it(
    stubber: Stubber, sent: list[tuple[str, dict[str, Any]]]
) -> None:
    expect_call(stubber, ok_response(b"{}"))
    expect_call(stubber, ok_response(b"{}"))

    responses = [lambda_proxy.handler(event(), FakeContext()) for _ in range(2)]

    assert [name for name, _ in sent] == ["InvokeAgentRuntime", "StopRuntimeSession"] * 2
    invoked = [params["runtimeSessionId"] for name, params in sent if name == "InvokeAgentRuntime"]
    stopped = [params["runtimeSessionId"] for name, params in sent if name == "StopRuntimeSession"]
    # Each request its own session, and that very session ended after the answer.
    assert invoked == stopped and invoked[0] != invoked[1]
    for session, response in zip(invoked, responses, strict=True):
        assert response["statusCode"] == 200
        assert session.startswith(lambda_proxy.ONE_OFF_SESSION_PREFIX) and 33 <= len(session) <= 256
        # An ended session is no session to come back to: none is offered.
        assert "X-Session-Id" not in headers_of(response)


def test_callers_session_id_is_scoped_and_kept(stubber: Stubber) -> None:
    session = "my-conversation-0123456789abcdef0123456789"
    # The runtime sees the proxy's keyed hash of (caller, id), never the id itself; nothing is stopped.
    expect_call(stubber, ok_response(b"{}"), session=runtime_session(session), ends=False)

    response = lambda_proxy.handler(with_header(event(), "X-Session-Id", session), FakeContext())

    assert response["statusCode"] == 200
    assert headers_of(response)["X-Session-Id"] == session
    assert runtime_session(session) != session and len(runtime_session(session)) <= 256


def test_the_same_session_id_of_two_api_keys_is_two_runtime_sessions(
    stubber: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLER_IDENTITY", "api_key")
    session = "shared-name-0123456789abcdef0123456789abc"
    keys = ("keyaaaaaa1", "keybbbbbb2", "keyaaaaaa1")
    for key_id in keys:
        expect_call(
            stubber, ok_response(b"{}"), session=runtime_session(session, f"key:{key_id}"), ends=False
        )

    statuses = []
    for key_id in keys:
        evt = with_header(event(), "X-Session-Id", session)
        evt["requestContext"]["identity"]["apiKeyId"] = key_id
        statuses.append(lambda_proxy.handler(evt, FakeContext())["statusCode"])

    assert statuses == [200, 200, 200]
    # Stable per caller (the stub matched the first key's session twice), apart between callers.
    assert runtime_session(session, "key:keyaaaaaa1") != runtime_session(session, "key:keybbbbbb2")


@pytest.mark.parametrize(
    ("identity", "context", "status", "code"),
    [
        # API Gateway answers unauthenticated requests itself; an event without the identity the API is
        # configured for is a deployment error, refused rather than served as the shared tenant.
        ("api_key", {}, 403, "CallerUnknown"),
        ("jwt", {"authorizer": {"claims": {"email": "x@example.com"}}}, 403, "CallerUnknown"),
        ("cognito", {}, 500, "ConfigurationError"),
    ],
)
def test_a_caller_the_configuration_cannot_name_is_refused_before_any_call(
    stubber: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    identity: str,
    context: dict[str, Any],
    status: int,
    code: str,
) -> None:
    monkeypatch.setenv("CALLER_IDENTITY", identity)
    evt = event()
    evt["requestContext"].update(context)
    evt["requestContext"]["identity"]["apiKeyId"] = None

    response = lambda_proxy.handler(evt, FakeContext())

    assert response["statusCode"] == status
    assert body_of(response)["error"]["code"] == code


def test_jwt_callers_are_their_sub_claim(stubber: Stubber, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLER_IDENTITY", "jwt")
    session = "jwt-conversation-0123456789abcdef012345678"
    claims = {"sub": "user-7", "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"}
    caller = f"sub:{claims['iss']} {claims['sub']}"
    expect_call(stubber, ok_response(b"{}"), session=runtime_session(session, caller), ends=False)
    evt = with_header(event(), "X-Session-Id", session)
    evt["requestContext"]["authorizer"] = {"claims": claims}

    response = lambda_proxy.handler(evt, FakeContext())

    assert response["statusCode"] == 200


@pytest.mark.parametrize("secret", [None, "too-short"])
def test_a_missing_or_weak_session_secret_is_named(
    stubber: Stubber, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    if secret is None:
        monkeypatch.delenv("SESSION_ID_SECRET")
    else:
        monkeypatch.setenv("SESSION_ID_SECRET", secret)
    session = "my-conversation-0123456789abcdef0123456789"

    response = lambda_proxy.handler(with_header(event(), "X-Session-Id", session), FakeContext())

    assert response["statusCode"] == 500
    error = body_of(response)["error"]
    assert (error["code"], error["variable"]) == ("ConfigurationError", "SESSION_ID_SECRET")


@pytest.mark.parametrize(
    "session",
    ["too-short", "x" * 257, "has spaces in it and is long enough to pass", "bad\u00e9" + "a" * 40],
)
def test_invalid_session_id_is_refused_before_any_call(stubber: Stubber, session: str) -> None:
    response = lambda_proxy.handler(with_header(event(), "X-Session-Id", session), FakeContext())

    assert response["statusCode"] == 400
    assert body_of(response)["error"]["field"] == "headers.X-Session-Id"


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"body": None}, 400, "InvalidInput", "$"),
        ({"body": ""}, 400, "InvalidInput", "$"),
        ({"body": "{not json"}, 400, "InvalidInput", "$"),
        ({"body": "%%%", "isBase64Encoded": True}, 400, "InvalidInput", "$"),
        ({"body": '{"prompt": {"a": "1", "b": 2}}'}, 400, "InvalidInput", "prompt.a"),
        ({"body": '{"prompt": {"a": 1}}'}, 400, "InvalidInput", "prompt.b"),
        ({"body": '{"prompt": {"a": true, "b": 2}}'}, 400, "InvalidInput", "prompt.a"),
        ({"body": '{"prompt": {"a": NaN, "b": 2}}'}, 400, "InvalidInput", "prompt.a"),
        ({"body": "[1, 2]"}, 400, "InvalidInput", "$"),
        ({"body": '{"prompt": "1 + 2"}'}, 400, "InvalidInput", "prompt"),
        # Each operand is storable, their sum is not (127 digits): refused here, not by the runtime.
        ({"body": '{"prompt": {"a": 1, "b": 1e125}}'}, 400, "InvalidInput", "prompt"),
        ({"body": '{"prompt": {"a": 1, "b": 2}}' + " " * (1024 * 1024)}, 413, "PayloadTooLarge", "$"),
    ],
)
def test_bad_input_gets_the_shared_envelope_and_no_call(
    stubber: Stubber, changes: dict[str, Any], status: int, code: str, field: str
) -> None:
    response = lambda_proxy.handler(event(**changes), FakeContext())

    assert response["statusCode"] == status
    error = body_of(response)["error"]
    assert (error["code"], error["field"], error["request_id"]) == (code, field, REQUEST_ID)
    assert error["message"]


def test_invalid_input_body_matches_shared_errors(stubber: Stubber) -> None:
    from shared.core.errors import InvalidInput
    from shared.core.validation import parse_sum_request

    try:
        parse_sum_request({"prompt": {"a": "1", "b": 2}})
    except InvalidInput as exc:
        expected = exc.to_body()
    expected["error"]["request_id"] = REQUEST_ID

    response = lambda_proxy.handler(event(body='{"prompt": {"a": "1", "b": 2}}'), FakeContext())

    assert body_of(response) == expected


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/x-www-form-urlencoded", 415),
        ("text/plain", 415),
        ("application/json; charset=utf-8", 200),
        ("application/vnd.api+json", 200),
        (None, 200),
    ],
)
def test_content_type(stubber: Stubber, content_type: str | None, status: int) -> None:
    if status == 200:
        expect_call(stubber, ok_response(b'{"result":10}'))

    response = lambda_proxy.handler(with_header(event(), "Content-Type", content_type), FakeContext())

    assert response["statusCode"] == status
    if status == 415:
        assert body_of(response)["error"]["code"] == "UnsupportedMediaType"


def test_options_reaching_the_lambda_is_answered_without_a_call(stubber: Stubber) -> None:
    response = lambda_proxy.handler(event(httpMethod="OPTIONS", body=None), FakeContext())

    assert response["statusCode"] == 204
    assert "POST" in headers_of(response)["Access-Control-Allow-Methods"]


@pytest.mark.parametrize(
    ("method", "resource", "status", "code"),
    [("GET", "/calculate", 405, "MethodNotAllowed"), ("POST", "/nothing", 404, "NotFound")],
)
def test_unknown_routes(stubber: Stubber, method: str, resource: str, status: int, code: str) -> None:
    response = lambda_proxy.handler(event(httpMethod=method, resource=resource, path=resource), FakeContext())

    assert response["statusCode"] == status
    assert body_of(response)["error"]["code"] == code
    if status == 405:
        assert headers_of(response)["Allow"] == "POST"


@pytest.mark.parametrize(
    ("service_code", "http_status", "status", "code", "retry_after"),
    [
        ("ValidationException", 400, 502, "RuntimeRejectedRequest", None),
        ("AccessDeniedException", 403, 502, "RuntimeAccessDenied", None),
        ("ResourceNotFoundException", 404, 502, "RuntimeNotFound", None),
        ("RuntimeClientError", 424, 502, "RuntimeClientError", None),
        ("ThrottlingException", 429, 429, "Throttled", "1"),
        ("ServiceQuotaExceededException", 402, 503, "RuntimeQuotaExceeded", "30"),
        ("RetryableConflictException", 409, 503, "RuntimeBusy", "2"),
        ("InternalServerException", 500, 503, "RuntimeUnavailable", "2"),
    ],
)
def test_runtime_errors_are_mapped_without_their_text(
    stubber: Stubber, service_code: str, http_status: int, status: int, code: str, retry_after: str | None
) -> None:
    stubber.add_client_error(
        "invoke_agent_runtime",
        service_error_code=service_code,
        service_message="arn:aws:iam::123456789012:role/secret-role is not authorized",
        http_status_code=http_status,
    )
    # Whatever the runtime answered, the one-off session is ended (a failed call may have started it).
    expect_stop(stubber)

    response = lambda_proxy.handler(event(), FakeContext())

    assert response["statusCode"] == status
    assert body_of(response)["error"]["code"] == code
    assert headers_of(response).get("Retry-After") == retry_after
    assert "secret-role" not in response["body"]


def test_agent_4xx_is_passed_through_with_its_body(stubber: Stubber) -> None:
    agent_body = {"error": {"code": "Conflict", "message": "already handled", "field": "prompt"}}
    # The after-call hook puts the agent's JSON body here when the HTTP layer is real (see e2e tests).
    stubber.add_client_error(
        "invoke_agent_runtime", service_error_code="409", http_status_code=409,
        service_error_meta={"AgentBody": agent_body},
    )  # fmt: skip
    expect_stop(stubber)

    response = lambda_proxy.handler(event(), FakeContext())

    assert response["statusCode"] == 409
    assert body_of(response) == {"error": {**agent_body["error"], "request_id": REQUEST_ID}}


@pytest.mark.parametrize(
    ("agent_status", "status", "code", "retry_after"),
    [
        (500, 502, "AgentFailed", None),
        (503, 503, "AgentUnavailable", "2"),
        (400, 502, "AgentRejectedRequest", None),
    ],
)
def test_agent_failures_without_an_envelope(
    stubber: Stubber, agent_status: int, status: int, code: str, retry_after: str | None
) -> None:
    stubber.add_client_error(
        "invoke_agent_runtime", service_error_code=str(agent_status), http_status_code=agent_status
    )
    expect_stop(stubber)

    response = lambda_proxy.handler(event(), FakeContext())

    assert response["statusCode"] == status
    assert body_of(response)["error"]["code"] == code
    assert headers_of(response).get("Retry-After") == retry_after


def test_non_2xx_status_code_in_a_response_is_not_success(stubber: Stubber) -> None:
    agent_body = {"error": {"code": "NotFound", "message": "no such record", "field": "id"}}
    expect_call(stubber, ok_response(json.dumps(agent_body).encode(), status=404))

    response = lambda_proxy.handler(event(), FakeContext())

    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "NotFound"
    assert "success" not in body_of(response)


def test_non_json_answer_is_a_bad_gateway(stubber: Stubber) -> None:
    expect_call(stubber, ok_response(b"<html>oops</html>"))

    response = lambda_proxy.handler(event(), FakeContext())

    assert response["statusCode"] == 502
    assert body_of(response)["error"]["code"] == "AgentResponseInvalid"


def install(recorder: SendFault) -> SendFault:
    """Answer InvokeAgentRuntime with the recorder, StopRuntimeSession with a 200 (counted too)."""
    client = lambda_proxy.runtime_client()
    recorder.install(client, "InvokeAgentRuntime")
    return SendFault((200, {"Content-Type": "application/json"}, b"{}")).install(client, "StopRuntimeSession")


def test_read_timeout_is_504_and_not_retried() -> None:
    recorder = SendFault(ReadTimeoutError(endpoint_url="https://runtime.local"))
    stops = install(recorder)

    response = lambda_proxy.handler(event(), FakeContext())

    assert response["statusCode"] == 504
    assert body_of(response)["error"]["code"] == "RuntimeTimeout"
    # A retry would run the agent again after API Gateway's clock is spent.
    assert recorder.attempts == 1
    # Nobody waits for that agent any more: its one-off session (and the work in it) is ended.
    assert stops.attempts == 1


def test_connect_timeout_is_retried_then_502() -> None:
    recorder = SendFault(ConnectTimeoutError(endpoint_url="https://runtime.local"))
    install(recorder)

    response = lambda_proxy.handler(event(), FakeContext())

    assert response["statusCode"] == 502
    assert body_of(response)["error"]["code"] == "RuntimeUnreachable"
    assert recorder.attempts == DEFAULT_RUNTIME_MAX_ATTEMPTS


def test_agent_error_body_is_read_from_the_real_http_response() -> None:
    agent_body = {"error": {"code": "Conflict", "message": "already handled", "field": "prompt"}}
    recorder = SendFault((409, {"Content-Type": "application/json"}, json.dumps(agent_body).encode()))
    install(recorder)

    response = lambda_proxy.handler(event(), FakeContext())

    assert response["statusCode"] == 409
    assert body_of(response)["error"]["message"] == "already handled"
    assert recorder.attempts == 1


def test_throttling_is_retried_by_botocore_then_429() -> None:
    throttled = (429, {"x-amzn-errortype": "ThrottlingException"}, b'{"message": "slow down"}')
    recorder = SendFault(throttled)
    install(recorder)

    response = lambda_proxy.handler(event(), FakeContext())

    assert response["statusCode"] == 429
    assert headers_of(response)["Retry-After"] == "1"
    assert recorder.attempts == DEFAULT_RUNTIME_MAX_ATTEMPTS


def test_client_config_is_explicit() -> None:
    config = lambda_proxy.runtime_client().meta.config

    assert config.read_timeout == DEFAULT_RUNTIME_READ_TIMEOUT < 29
    assert config.connect_timeout == DEFAULT_RUNTIME_CONNECT_TIMEOUT
    assert config.retries == {"mode": "standard", "total_max_attempts": DEFAULT_RUNTIME_MAX_ATTEMPTS}
    assert lambda_proxy.runtime_client() is lambda_proxy.runtime_client()


def test_runtime_arn_from_id_and_function_arn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENT_RUNTIME_ARN")
    monkeypatch.setenv("AGENT_RUNTIME_ID", "step4_dynamodb_sink-AbCd012345")
    function_arn = "arn:aws-cn:lambda:cn-north-1:210987654321:function:proxy:live"

    settings = RuntimeTarget.from_env(function_arn)

    assert settings.runtime_arn == (
        "arn:aws-cn:bedrock-agentcore:cn-north-1:210987654321:runtime/step4_dynamodb_sink-AbCd012345"
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "AGENT_RUNTIME_ARN"),
        ({"AGENT_RUNTIME_ARN": "arn:aws:lambda:us-east-1:1:function:x"}, "AGENT_RUNTIME_ARN"),
    ],
)
def test_missing_or_bad_runtime_configuration_is_named(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], variable: str
) -> None:
    monkeypatch.delenv("AGENT_RUNTIME_ARN")
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    response = lambda_proxy.handler(event(), FakeContext(FUNCTION_ARN))

    assert response["statusCode"] == 500
    error = body_of(response)["error"]
    assert (error["code"], error["variable"]) == ("ConfigurationError", variable)
