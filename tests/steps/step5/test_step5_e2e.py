"""End to end over loopback: local API Gateway, Lambda proxy, local AgentCore data plane, agent, moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from commands.worlds import Resources, create_sinks, lambda_environment, step5_front, step5_routes
from local_cloud import aws as local_aws
from local_cloud.agentcore import AgentCoreLocal, runtime_arn
from local_cloud.apigw import ApiGatewayProcess, LocalApiGateway
from local_cloud.aws import EmbeddedAws
from local_cloud.http import call
from shared.runtime.settings import DEFAULT_RUNTIME_MAX_ATTEMPTS
from tests.steps.step5.support import (
    LOCAL_SETTINGS,
    SESSION_SECRET,
    STEP4_ARN,
    TEST_AGENT_ARN,
    agent_app_runtime,
    lambda_proxy,
    runtime_session,
)

pytestmark = pytest.mark.e2e


def dynamodb_item(aws: EmbeddedAws, sinks: Resources, item_id: str) -> dict[str, Any]:
    return local_aws.dynamodb_item(aws, sinks.table_name, item_id)


def invocations_for(data_plane: AgentCoreLocal, session_id: str) -> list[Any]:
    return [i for i in data_plane.invocations if i.session_id == session_id]


@pytest.fixture(scope="module")
def front_process(
    aws: EmbeddedAws, sinks: Resources, data_plane: AgentCoreLocal
) -> Iterator[ApiGatewayProcess]:
    """The proxy as its own process (like a Lambda container) with only a function's environment."""
    env = lambda_environment(aws, sinks, data_plane, session_secret=SESSION_SECRET)
    with step5_front(env) as front:
        yield front


@pytest.fixture
def front(lambda_env: None, data_plane: AgentCoreLocal, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The proxy in this process (to vary its settings per test), in front of the test agent."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", data_plane.endpoint_url)
    monkeypatch.setenv("AGENT_RUNTIME_ARN", TEST_AGENT_ARN)
    with LocalApiGateway(lambda_proxy.handler, step5_routes()) as gw:
        yield f"{gw.url}/calculate"


def test_calculate_leaves_an_item_in_dynamodb(
    front_process: ApiGatewayProcess, data_plane: AgentCoreLocal, aws: EmbeddedAws, sinks: Resources
) -> None:
    status, headers, body = call(f"{front_process.url}/calculate", {"prompt": {"a": 5, "b": 5}})

    assert status == 200
    assert set(body) == {"success", "data", "request_id"}
    assert body["success"] is True
    assert body["request_id"] == headers["X-Request-Id"]
    assert body["data"]["result"] == 10
    assert body["data"]["dynamodb_stored"] is True
    item = dynamodb_item(aws, sinks, body["data"]["item_id"])
    assert (item["input_a"], item["input_b"], item["result"]) == ("5", "5", "10")
    # The one-off session the proxy opened reached the agent, is stored with the item, and was ended
    # right after the answer: no session id to come back to, no session left idling.
    assert "X-Session-Id" not in headers
    assert item["session_id"].startswith(lambda_proxy.ONE_OFF_SESSION_PREFIX)
    [invocation] = invocations_for(data_plane, item["session_id"])
    assert invocation.runtime_arn == STEP4_ARN
    assert invocation.qualifier == "DEFAULT"
    assert invocation.request_id == body["data"]["item_id"]
    ended = data_plane.wait_ended(STEP4_ARN, item["session_id"], timeout=10)
    assert ended["ended_reason"] == "stopped"
    # Billed for about its cold start and one call, not for an idle timeout (5 s on this data plane).
    assert 0 < ended["usage"]["session_seconds"] < LOCAL_SETTINGS["idle_timeout"]


def test_decimals_arrive_exactly(
    front_process: ApiGatewayProcess, aws: EmbeddedAws, sinks: Resources
) -> None:
    status, _, body = call(f"{front_process.url}/calculate", b'{"prompt": {"a": 0.1, "b": 0.2}}')

    assert status == 200
    assert dynamodb_item(aws, sinks, body["data"]["item_id"])["result"] == "0.3"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "field"),
    [
        (b'{"prompt": {"a": "5", "b": 5}}', "application/json", 400, "prompt.a"),
        (b"a=5&b=5", "application/x-www-form-urlencoded", 415, "Content-Type"),
        (b"", "application/json", 400, "$"),
    ],
)
def test_bad_input_is_refused_before_the_runtime(
    front_process: ApiGatewayProcess,
    data_plane: AgentCoreLocal,
    body: bytes,
    content_type: str,
    status: int,
    field: str,
) -> None:
    before = len(data_plane.invocations)

    got, _, answer = call(f"{front_process.url}/calculate", body, {"Content-Type": content_type})

    assert got == status
    assert answer["error"]["field"] == field
    assert len(data_plane.invocations) == before


def test_preflight_through_the_process(front_process: ApiGatewayProcess, data_plane: AgentCoreLocal) -> None:
    before = len(data_plane.invocations)

    status, headers, _ = call(f"{front_process.url}/calculate", method="OPTIONS")

    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert len(data_plane.invocations) == before


def test_callers_session_reaches_the_agent(front: str, data_plane: AgentCoreLocal) -> None:
    session = "caller-kept-session-0123456789abcdef-0001"
    payload = {"prompt": {"a": 2, "b": 3, "mode": "echo"}}

    first = call(front, payload, {"X-Session-Id": session})
    second = call(front, payload, {"X-Session-Id": session})

    for status, headers, body in (first, second):
        assert status == 200
        assert headers["X-Session-Id"] == session
        # The agent sees the proxy's scoped id for this caller's session, the same both times.
        assert body["data"]["session_id"] == runtime_session(session)
    assert first[2]["data"]["request_id"] != second[2]["data"]["request_id"]
    assert len(invocations_for(data_plane, runtime_session(session))) == 2
    assert invocations_for(data_plane, session) == []


def test_sse_stream_is_assembled(front: str) -> None:
    status, _, body = call(front, {"prompt": {"a": 2, "b": 3, "mode": "stream"}})

    assert status == 200
    assert body["data"] == [{"partial": 2}, {"partial": 3}, {"result": 5}]


def test_agent_4xx_is_passed_through(front: str) -> None:
    status, headers, body = call(front, {"prompt": {"a": 1, "b": 1, "mode": "conflict"}})

    assert status == 409
    assert body["error"]["code"] == "Conflict"
    assert body["error"]["message"] == "this request was already handled"
    assert body["error"]["request_id"] == headers["X-Request-Id"]


def test_agent_5xx_is_a_bad_gateway_without_its_text(front: str, data_plane: AgentCoreLocal) -> None:
    session = "agent-crash-session-0123456789abcdef-0001"

    status, _, body = call(front, {"prompt": {"a": 1, "b": 1, "mode": "crash"}}, {"X-Session-Id": session})

    assert status == 502
    assert body["error"]["code"] == "AgentFailed"
    assert "secret internals" not in str(body)
    # botocore's standard mode retries a bare 500: the agent ran once per attempt.
    assert len(invocations_for(data_plane, runtime_session(session))) == DEFAULT_RUNTIME_MAX_ATTEMPTS


def test_slow_agent_is_504_and_runs_once(
    front: str, data_plane: AgentCoreLocal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNTIME_READ_TIMEOUT_SECONDS", "1")
    lambda_proxy.reset_client()
    session = "slow-agent-session-0123456789abcdef-00001"

    status, _, body = call(
        front, {"prompt": {"a": 1, "b": 1, "mode": "slow", "sleep": 2.5}}, {"X-Session-Id": session}
    )

    assert status == 504
    assert body["error"]["code"] == "RuntimeTimeout"
    assert len(invocations_for(data_plane, runtime_session(session))) == 1


def test_throttling_after_retries_is_429_with_retry_after(front: str, data_plane: AgentCoreLocal) -> None:
    session = "throttled-session-0123456789abcdef-000001"
    data_plane.inject("ThrottlingException", 429, times=DEFAULT_RUNTIME_MAX_ATTEMPTS)

    status, headers, body = call(front, {"prompt": {"a": 1, "b": 1}}, {"X-Session-Id": session})

    assert status == 429
    assert headers["Retry-After"] == "1"
    assert body["error"]["code"] == "Throttled"
    assert [i.error_code for i in invocations_for(data_plane, runtime_session(session))] == [
        "ThrottlingException"
    ] * 3


def test_throttling_that_clears_within_retries_succeeds(front: str, data_plane: AgentCoreLocal) -> None:
    session = "throttled-once-session-0123456789abcdef-01"
    data_plane.inject("ThrottlingException", 429, times=1)

    status, _, body = call(front, {"prompt": {"a": 1, "b": 1}}, {"X-Session-Id": session})

    assert status == 200
    assert body["data"]["sum"] == 2
    assert [i.error_code for i in invocations_for(data_plane, runtime_session(session))] == [
        "ThrottlingException",
        None,
    ]


def test_unknown_runtime_is_a_bad_gateway(front: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT_RUNTIME_ARN", runtime_arn("no_such_runtime"))

    status, _, body = call(front, {"prompt": {"a": 1, "b": 1}})

    assert status == 502
    assert body["error"]["code"] == "RuntimeNotFound"


def test_container_errors_as_runtime_client_error(lambda_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    runtimes = [agent_app_runtime()]
    with AgentCoreLocal(runtimes, container_errors="runtime_client_error", **LOCAL_SETTINGS) as plane:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", plane.endpoint_url)
        monkeypatch.setenv("AGENT_RUNTIME_ARN", TEST_AGENT_ARN)
        with LocalApiGateway(lambda_proxy.handler, step5_routes()) as gw:
            status, _, body = call(f"{gw.url}/calculate", {"prompt": {"a": 1, "b": 1, "mode": "conflict"}})

    assert status == 502
    assert body["error"]["code"] == "RuntimeClientError"


def test_demo_rows_pass(aws: EmbeddedAws) -> None:
    from commands.demo.step5 import run_step5_demo

    rows = run_step5_demo(aws, create_sinks(aws))

    assert len(rows) == 4
    assert all(row.ok for row in rows), rows
    assert "SUCCEEDED" in rows[2].response and "/jobs/" in rows[2].request
    assert "job session stopped" in rows[2].landed
    assert rows[3].response == "200 CANCELLED" and "DELETE" in rows[3].request
