"""The local API Gateway front: REST proxy (v1) events, and what API Gateway answers by itself."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import pytest

from local_cloud.apigw import LocalApiGateway
from local_cloud.apigw.auth import api_key_id, local_token
from local_cloud.http import call


class Recorder:
    """A handler that records its events and answers as told."""

    def __init__(self, answer: Any = None, sleep: float = 0) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.answer = (
            answer if answer is not None else {"statusCode": 201, "headers": {"X-Test": "1"}, "body": "{}"}
        )
        self.sleep = sleep

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        self.contexts.append(context)
        if self.sleep:
            time.sleep(self.sleep)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


ROUTES = (("POST", "/calculate"), ("GET", "/jobs/{id}"), ("POST", "/jobs"), ("DELETE", "/jobs/{id}"))


@pytest.fixture
def front() -> Iterator[tuple[LocalApiGateway, Recorder]]:
    recorder = Recorder()
    routes = (("POST", "/calculate"), ("GET", "/jobs/{id}"))
    with LocalApiGateway(recorder, routes=routes, allowed_origin="https://app.example.com") as gw:
        yield gw, recorder


def test_request_becomes_a_rest_proxy_v1_event(front: tuple[LocalApiGateway, Recorder]) -> None:
    gw, recorder = front

    status, headers, _ = call(
        f"{gw.url}/calculate?x=1&x=2", {"prompt": {"a": 1, "b": 2}}, {"X-Session-Id": "s1"}
    )

    assert (status, headers["X-Test"]) == (201, "1")
    event = recorder.events[0]
    assert event["resource"] == "/calculate"
    assert event["path"] == "/calculate"
    assert event["httpMethod"] == "POST"
    assert event["headers"]["X-Session-Id"] == "s1"
    assert event["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert event["queryStringParameters"] == {"x": "2"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["body"] == '{"prompt": {"a": 1, "b": 2}}'
    assert event["isBase64Encoded"] is False
    assert event["pathParameters"] is None
    context = event["requestContext"]
    assert (context["stage"], context["path"], context["resourcePath"]) == (
        "prod",
        "/prod/calculate",
        "/calculate",
    )
    assert context["requestId"]
    assert recorder.contexts[0].invoked_function_arn.startswith("arn:aws:lambda:")
    assert 0 < recorder.contexts[0].get_remaining_time_in_millis() <= 29_000


def test_binary_body_is_base64_encoded(front: tuple[LocalApiGateway, Recorder]) -> None:
    gw, recorder = front
    raw = b"\xff\xfe\x00binary"

    call(f"{gw.url}/calculate", raw, {"Content-Type": "application/octet-stream"})

    assert recorder.events[0]["isBase64Encoded"] is True
    assert base64.b64decode(recorder.events[0]["body"]) == raw


def test_missing_body_is_null(front: tuple[LocalApiGateway, Recorder]) -> None:
    gw, recorder = front

    call(f"{gw.url}/calculate", b"")

    assert recorder.events[0]["body"] is None


def test_path_parameters(front: tuple[LocalApiGateway, Recorder]) -> None:
    gw, recorder = front

    call(f"{gw.url}/jobs/abc%20123", method="GET")

    assert recorder.events[0]["resource"] == "/jobs/{id}"
    assert recorder.events[0]["pathParameters"] == {"id": "abc 123"}


def test_preflight_is_answered_by_the_gateway(front: tuple[LocalApiGateway, Recorder]) -> None:
    gw, recorder = front

    status, headers, _ = call(
        f"{gw.url}/calculate",
        method="OPTIONS",
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"},
    )

    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "X-Session-Id" in headers["Access-Control-Allow-Headers"]
    assert recorder.events == []


@pytest.mark.parametrize(("method", "path"), [("POST", "/nothing"), ("GET", "/calculate"), ("POST", "")])
def test_unknown_resource_or_method(front: tuple[LocalApiGateway, Recorder], method: str, path: str) -> None:
    gw, recorder = front

    status, headers, body = call(f"{gw.url}{path}", {} if method == "POST" else None, method=method)

    assert (status, body) == (403, {"message": "Missing Authentication Token"})
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert recorder.events == []


def test_api_key_is_required_when_configured() -> None:
    recorder = Recorder()
    with LocalApiGateway(recorder, ROUTES, api_key="k" * 30) as gw:
        denied, _, body = call(f"{gw.url}/calculate", {})
        allowed, _, _ = call(f"{gw.url}/calculate", {}, {"x-api-key": "k" * 30})

    assert (denied, body) == (403, {"message": "Forbidden"})
    assert allowed == 201
    assert len(recorder.events) == 1


def test_each_api_key_is_a_caller_of_its_own() -> None:
    recorder = Recorder()
    keys = ["alpha-key-" + "a" * 20, "beta-key-" + "b" * 21]
    with LocalApiGateway(recorder, ROUTES, api_keys=keys) as gw:
        answers = [call(f"{gw.url}/calculate", {}, {"x-api-key": key})[0] for key in keys]
        denied = call(f"{gw.url}/calculate", {}, {"x-api-key": "gamma-key-" + "c" * 20})

    assert answers == [201, 201]
    assert denied[0] == 403 and denied[2] == {"message": "Forbidden"}
    identities = [event["requestContext"]["identity"] for event in recorder.events]
    assert [i["apiKeyId"] for i in identities] == [api_key_id(key) for key in keys]
    assert [i["apiKey"] for i in identities] == keys
    assert api_key_id(keys[0]) != api_key_id(keys[1]) and len(api_key_id(keys[0])) == 10


@pytest.mark.parametrize("prefix", ["", "Bearer "])
def test_jwt_mode_passes_the_claims_of_an_unsigned_local_token(prefix: str) -> None:
    recorder = Recorder()
    token = local_token({"sub": "user-1", "iss": "https://issuer.local", "exp": int(time.time()) + 600})
    with LocalApiGateway(recorder, ROUTES, jwt=True) as gw:
        status, _, _ = call(f"{gw.url}/calculate", {}, {"Authorization": prefix + token})

    assert status == 201
    claims = recorder.events[0]["requestContext"]["authorizer"]["claims"]
    # As a Cognito authorizer hands them over: every claim a string.
    assert (claims["sub"], claims["iss"]) == ("user-1", "https://issuer.local")
    assert isinstance(claims["exp"], str)


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "Unauthorized"),
        ("not-a-token", "Unauthorized"),
        (local_token({"iss": "no-sub"}), "Unauthorized"),
        (local_token({"sub": "user-1", "exp": 1}), "The incoming token has expired"),
    ],
)
def test_jwt_mode_refuses_requests_without_a_usable_token(authorization: str | None, message: str) -> None:
    recorder = Recorder()
    headers = {"Authorization": authorization} if authorization else {}
    with LocalApiGateway(recorder, ROUTES, jwt=True) as gw:
        status, _, body = call(f"{gw.url}/calculate", {}, headers)

    assert (status, body) == (401, {"message": message})
    assert recorder.events == []


def test_integration_timeout_is_504() -> None:
    with LocalApiGateway(Recorder(sleep=1.5), ROUTES, timeout=0.3) as gw:
        status, _, body = call(f"{gw.url}/calculate", {})

    assert (status, body) == (504, {"message": "Endpoint request timed out"})


@pytest.mark.parametrize("answer", [RuntimeError("boom"), {"body": "no status"}, ["not", "a", "dict"]])
def test_failing_or_malformed_handler_is_502(answer: Any) -> None:
    with LocalApiGateway(Recorder(answer=answer), ROUTES) as gw:
        status, _, body = call(f"{gw.url}/calculate", {})

    assert (status, body) == (502, {"message": "Internal server error"})
