"""Fuzz the step 5 handler with generated API Gateway events, in front of the real local stack (the local
AgentCore data plane, step 4, moto): never a 5xx, nothing reaches the runtime for a 4xx, exact sums and
a stored item for a 200, nothing internal in any response."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from commands.worlds import Resources
from local_cloud.agentcore import AgentCoreLocal
from local_cloud.aws import EmbeddedAws
from shared.core.arithmetic import exact_sum
from shared.core.jsonnum import dumps_exact, loads_exact
from tests.helpers import FUZZ_EXAMPLES, JSON_VALUES, NUMBER_TEXT, assert_no_leak
from tests.steps.step5.support import STEP4_ARN, FakeContext, headers_of, lambda_proxy

pytestmark = pytest.mark.reliability

ROUTES = ["/calculate", "/jobs", "/jobs/{id}"]
METHODS = st.sampled_from(["POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "", "post"]) | st.text(
    max_size=6
)
RESOURCES = st.sampled_from([*ROUTES, "/", "/calculate/", "/jobs/{id}/x", ""]) | st.text(max_size=12)
CONTENT_TYPES = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/problem+json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "",
    ]
) | st.text(max_size=20)
SESSION_IDS = st.none() | st.text(max_size=40) | st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:-]{32,40}\Z")
JOB_IDS = st.none() | st.text(max_size=40) | st.uuids().map(str) | st.just("../../etc/passwd")
# Job options small enough that a valid job ends at once: a long delay would keep step 4 busy for the
# suite's other tests.
JOB_OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "mode": st.sampled_from(["async", "sync", "", None]) | st.text(max_size=6),
        "delay_seconds": st.integers(-3, 0) | st.just(10**9) | st.text(max_size=4) | st.floats(),
        "idempotency_key": st.none() | st.text(max_size=80),
        "job_status": st.text(max_size=8),
        "extra": JSON_VALUES,
    },
)
SUMS = st.tuples(NUMBER_TEXT, NUMBER_TEXT).map(lambda ab: f'{{"prompt": {{"a": {ab[0]}, "b": {ab[1]}}}}}')


def _text(value: Any) -> str:
    try:
        return dumps_exact(value)
    except (ValueError, TypeError):
        return json.dumps(value, default=str)


BODIES = st.one_of(
    st.none(),
    st.text(max_size=40),
    JSON_VALUES.map(_text),
    st.fixed_dictionaries({"prompt": JSON_VALUES}).map(_text),
    SUMS,
    st.tuples(SUMS, JOB_OPTIONS).map(lambda s: _text({**loads_exact(s[0]), **s[1]})),
)


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    """A REST (v1) proxy event, mostly well-formed where API Gateway guarantees it, fuzzed elsewhere."""
    method = draw(st.sampled_from(["POST", "GET"]) | METHODS)
    resource = draw(st.sampled_from(ROUTES) | RESOURCES)
    headers: dict[str, str] = {}
    content_type = draw(CONTENT_TYPES)
    if content_type is not None:
        headers[draw(st.sampled_from(["Content-Type", "content-type"]))] = content_type
    session = draw(SESSION_IDS)
    if session is not None:
        headers["X-Session-Id"] = session
    body = draw(BODIES)
    encoded = False
    if body is not None and draw(st.booleans()) and draw(st.booleans()):
        # API Gateway base64-encodes binary media types; also send bodies that are not base64 at all.
        encoded = True
        if draw(st.booleans()):
            body = base64.b64encode(body.encode("utf-8", "surrogatepass")).decode()
    job_id = draw(JOB_IDS)
    evt: dict[str, Any] = {
        "resource": resource,
        "path": resource.replace("{id}", job_id or ""),
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "pathParameters": None if job_id is None else {"id": job_id},
        "requestContext": draw(
            st.sampled_from([{}, {"requestId": "fuzz-request"}])
            | st.builds(lambda u: {"requestId": str(u)}, st.uuids())
        ),
        "body": body,
        "isBase64Encoded": encoded,
    }
    return evt


@st.composite
def routed_events(draw: st.DrawFn) -> dict[str, Any]:
    """An event for one of the real routes, with a JSON content type: the fuzz reaches the runtime."""
    evt = draw(events())
    method, resource = draw(
        st.sampled_from([("POST", "/calculate"), ("POST", "/jobs"), ("GET", "/jobs/{id}")])
    )
    body = draw(
        SUMS
        if resource == "/calculate"
        else st.tuples(SUMS, JOB_OPTIONS).map(lambda s: _text({**loads_exact(s[0]), **s[1]}))
    )
    content_type = draw(st.sampled_from([None, "application/json", "application/json; charset=utf-8"]))
    headers = {} if content_type is None else {"Content-Type": content_type}
    session = draw(st.none() | st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:-]{32,40}\Z"))
    if session is not None:
        headers["X-Session-Id"] = session
    encoded = draw(st.booleans())
    job_id = evt["pathParameters"]["id"] if evt["pathParameters"] else None
    evt.update(
        httpMethod=method,
        resource=resource,
        path=resource.replace("{id}", job_id or ""),
        headers=headers,
        multiValueHeaders={k: [v] for k, v in headers.items()},
        body=base64.b64encode(body.encode()).decode() if encoded else body,
        isBase64Encoded=encoded,
    )
    return evt


def _event(method: str, resource: str, body: str | None, content_type: str | None) -> dict[str, Any]:
    """One plain REST (v1) event, for the outcomes the fuzz must reach whatever it draws."""
    headers = {} if content_type is None else {"Content-Type": content_type}
    return {
        "resource": resource, "path": resource, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()}, "queryStringParameters": None,
        "pathParameters": None, "requestContext": {"requestId": "fuzz-example"}, "body": body,
        "isBase64Encoded": False,
    }  # fmt: skip


# Every outcome the last assertions require, sent first; the generated events then come on top.
OUTCOMES = [
    _event("POST", "/calculate", '{"prompt": {"a": 1, "b": 2}}', "application/json"),  # 200
    _event("POST", "/calculate", '{"prompt": {"a": "1", "b": 2}}', "application/json"),  # 400
    _event("POST", "/nowhere", '{"prompt": {"a": 1, "b": 2}}', "application/json"),  # 404
    _event("POST", "/calculate", "a=1&b=2", "application/x-www-form-urlencoded"),  # 415
]


@pytest.fixture
def stack(
    lambda_env: None,
    aws: EmbeddedAws,
    sinks: Resources,
    data_plane: AgentCoreLocal,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[EmbeddedAws, Resources, AgentCoreLocal]]:
    """The handler in this process, pointed at the local data plane (step 4) and moto's jobs table."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", data_plane.endpoint_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", aws.endpoint_url)
    monkeypatch.setenv("AGENT_RUNTIME_ARN", STEP4_ARN)
    monkeypatch.setenv("JOBS_TABLE_NAME", sinks.table_name)
    lambda_proxy.reset_client()
    yield aws, sinks, data_plane
    lambda_proxy.reset_client()


def _expected_sum(body: str | None, encoded: bool) -> Any:
    raw = base64.b64decode(body or "") if encoded else (body or "").encode("utf-8", "surrogatepass")
    prompt = loads_exact(raw)["prompt"]
    return exact_sum(prompt["a"], prompt["b"])


@pytest.mark.timeout(900)
def test_generated_api_gateway_events_never_5xx_and_never_reach_the_runtime_on_4xx(
    stack: tuple[EmbeddedAws, Resources, AgentCoreLocal],
) -> None:
    aws, sinks, data_plane = stack
    ddb = aws.client("dynamodb")
    seen: list[int] = []

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(st.one_of(events(), routed_events()))
    @example(OUTCOMES[0])
    @example(OUTCOMES[1])
    @example(OUTCOMES[2])
    @example(OUTCOMES[3])
    def check(evt: dict[str, Any]) -> None:
        before = len(data_plane.invocations)
        response = lambda_proxy.handler(evt, FakeContext())
        status = response["statusCode"]
        seen.append(status)
        text = response["body"]
        assert status < 500, f"{status} for {evt!r}: {text}"
        assert_no_leak(text)
        assert headers_of(response)["X-Request-Id"]
        if status >= 400:
            error = json.loads(text)["error"]
            assert error["code"] and error["message"] and error["request_id"]
            assert len(data_plane.invocations) == before, f"a {status} reached the runtime: {evt!r}"
            return
        if status == 204:
            assert text == "" and len(data_plane.invocations) == before
            return
        body = loads_exact(text)
        # A generated resource with a trailing "/" ("/calculate/") reaches its route: Powertools' REST
        # resolver strips it before matching (APIGatewayRestResolver._compile_regex).
        resource = evt["resource"].rstrip("/")
        if resource == "/calculate":
            assert status == 200 and body["success"] is True
            assert body["data"]["result"] == _expected_sum(evt["body"], evt["isBase64Encoded"])
            item = ddb.get_item(TableName=sinks.table_name, Key={"id": {"S": body["data"]["item_id"]}})
            assert Decimal(item["Item"]["result"]["N"]) == Decimal(body["data"]["result"])
            assert len(data_plane.invocations) == before + 1
        elif resource == "/jobs":
            assert status in (200, 202) and headers_of(response)["Location"] == f"/jobs/{body['job_id']}"
            assert len(data_plane.invocations) == before + 1
        else:
            assert resource == "/jobs/{id}" and status == 200
            assert body["job_id"] == evt["pathParameters"]["id"]
            assert len(data_plane.invocations) == before  # job reads come from DynamoDB

    check()
    # The generator must reach every outcome, or the properties above were checked on too little.
    assert len(seen) >= FUZZ_EXAMPLES * 0.95, f"only {len(seen)} events were generated"
    assert {200, 400}.issubset(seen), sorted(set(seen))
    assert any(s in (404, 405) for s in seen) and 415 in seen, sorted(set(seen))
