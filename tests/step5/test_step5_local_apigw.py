"""The local API Gateway front: REST proxy (v1) events, and what API Gateway answers by itself."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import pytest

from devtools.apigw import LocalApiGateway
from devtools.http import call


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
    with LocalApiGateway(recorder, api_key="k" * 30) as gw:
        denied, _, body = call(f"{gw.url}/calculate", {})
        allowed, _, _ = call(f"{gw.url}/calculate", {}, {"x-api-key": "k" * 30})

    assert (denied, body) == (403, {"message": "Forbidden"})
    assert allowed == 201
    assert len(recorder.events) == 1


def test_integration_timeout_is_504() -> None:
    with LocalApiGateway(Recorder(sleep=1.5), timeout=0.3) as gw:
        status, _, body = call(f"{gw.url}/calculate", {})

    assert (status, body) == (504, {"message": "Endpoint request timed out"})


@pytest.mark.parametrize("answer", [RuntimeError("boom"), {"body": "no status"}, ["not", "a", "dict"]])
def test_failing_or_malformed_handler_is_502(answer: Any) -> None:
    with LocalApiGateway(Recorder(answer=answer)) as gw:
        status, _, body = call(f"{gw.url}/calculate", {})

    assert (status, body) == (502, {"message": "Internal server error"})
