"""The local data plane's sessions through real boto3 and HTTP: one process per session id, reuse,
StopRuntimeSession, crashes, the session quota, injected errors, the payload limit, unknown runtimes."""

from __future__ import annotations

import http.client
import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from commands.worlds import step_runtime
from local_cloud.agentcore import AgentCoreLocal
from tests.helpers import agentcore_client, wait_until
from tests.steps.step5.support import agent_app_runtime

STEP1 = step_runtime("step1_local_sessions", "1_compute_without_model")
PAYLOAD = b'{"prompt": {"a": 1, "b": 2}}'


def sid(name: str) -> str:
    """A unique runtimeSessionId (33 to 256 characters)."""
    return f"{name}-{uuid.uuid4()}"


@pytest.fixture
def plane() -> Iterator[AgentCoreLocal]:
    """Step 1 behind a data plane whose sessions fork from a pre-imported step 1; small limits."""
    with AgentCoreLocal([STEP1], start_mode="fork", stop_grace=1.0, max_sessions=3) as local:
        yield local


def invoke(client, session_id: str, payload: bytes = PAYLOAD, **extra) -> dict:
    answer = client.invoke_agent_runtime(
        agentRuntimeArn=STEP1.arn, runtimeSessionId=session_id, payload=payload, **extra
    )
    return {**answer, "body": json.loads(answer["response"].read())}


def pid_of(plane: AgentCoreLocal, session_id: str) -> int:
    view = plane.session(STEP1.arn, session_id)
    assert view is not None
    return int(view["pid"])


def test_same_session_same_process_new_session_another(plane: AgentCoreLocal) -> None:
    client = agentcore_client(plane.endpoint_url)
    first, second = sid("same"), sid("other")

    answers = [invoke(client, first), invoke(client, first), invoke(client, second)]

    assert [a["body"] for a in answers] == [{"result": 3}] * 3
    assert [a["runtimeSessionId"] for a in answers] == [first, first, second]
    assert answers[0]["contentType"] == "application/json" and answers[0]["statusCode"] == 200
    views = {v["session_id"]: v for v in plane.sessions()}
    assert views[first]["invocations"] == 2 and views[second]["invocations"] == 1
    assert views[first]["pid"] != views[second]["pid"]
    assert {v["status"] for v in views.values()} == {"running"}
    assert all(v["cold_start_seconds"] > 0 and v["start_mode"] == "fork" for v in views.values())
    assert [i.cold_start for i in plane.invocations] == [True, False, True]


def test_introspection_lists_the_interface_fields(plane: AgentCoreLocal) -> None:
    session = sid("fields")
    invoke(agentcore_client(plane.endpoint_url), session)
    conn = http.client.HTTPConnection("127.0.0.1", int(plane.endpoint_url.rsplit(":", 1)[1]))
    conn.request("GET", "/_local/sessions")
    [view] = json.loads(conn.getresponse().read())

    assert {"runtime_arn", "session_id", "pid", "status", "ping", "started_at", "last_invocation_at",
            "ended_reason", "usage"} <= set(view)  # fmt: skip
    assert (view["runtime_arn"], view["session_id"], view["ping"]) == (STEP1.arn, session, "Healthy")
    assert set(view["usage"]) >= {"session_seconds", "cpu_seconds", "peak_rss_mb", "cost_usd"}
    assert set(view["usage"]["cost_usd"]) == {"v1", "v2"}


def test_stop_runtime_session_ends_it_and_the_next_call_cold_starts(plane: AgentCoreLocal) -> None:
    client = agentcore_client(plane.endpoint_url)
    session = sid("stopped")
    invoke(client, session)
    before = pid_of(plane, session)

    stopped = client.stop_runtime_session(agentRuntimeArn=STEP1.arn, runtimeSessionId=session)

    assert stopped["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert stopped["runtimeSessionId"] == session
    ended = plane.wait_ended(STEP1.arn, session, timeout=10)
    assert (ended["status"], ended["ended_reason"], ended["pid"]) == ("ended", "stopped", before)
    assert ended["exit"] == "killed by SIGTERM"
    with pytest.raises(ClientError) as again:
        client.stop_runtime_session(agentRuntimeArn=STEP1.arn, runtimeSessionId=session)
    assert again.value.response["Error"]["Code"] == "ResourceNotFoundException"

    assert invoke(client, session)["body"] == {"result": 3}
    assert pid_of(plane, session) != before
    assert plane.invocations[-1].cold_start is True


def test_a_crashed_process_answers_runtime_client_error_then_a_new_session(plane: AgentCoreLocal) -> None:
    client = agentcore_client(plane.endpoint_url)
    session = sid("crashed")
    invoke(client, session)
    before = pid_of(plane, session)

    assert plane.kill(STEP1.arn, session)
    crashed = plane.wait_ended(STEP1.arn, session, timeout=10)
    with pytest.raises(ClientError) as failed:
        invoke(client, session)

    assert (crashed["ended_reason"], crashed["exit"]) == ("crashed", "killed by SIGKILL")
    assert failed.value.response["Error"]["Code"] == "RuntimeClientError"
    assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert "ended unexpectedly (killed by SIGKILL)" in failed.value.response["Error"]["Message"]
    assert invoke(client, session)["body"] == {"result": 3}
    assert pid_of(plane, session) != before


def test_the_session_quota_answers_service_quota_exceeded(plane: AgentCoreLocal) -> None:
    client = agentcore_client(plane.endpoint_url)
    sessions = [sid(f"quota{n}") for n in range(3)]
    for session in sessions:
        invoke(client, session)

    with pytest.raises(ClientError) as refused:
        invoke(client, sid("quota-over"))
    assert refused.value.response["Error"]["Code"] == "ServiceQuotaExceededException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 402

    client.stop_runtime_session(agentRuntimeArn=STEP1.arn, runtimeSessionId=sessions[0])
    assert invoke(client, sid("quota-after-stop"))["body"] == {"result": 3}


def test_injected_errors_answer_the_next_invocations_over_http(plane: AgentCoreLocal) -> None:
    client = agentcore_client(plane.endpoint_url)
    session = sid("injected")
    conn = http.client.HTTPConnection("127.0.0.1", int(plane.endpoint_url.rsplit(":", 1)[1]))
    conn.request(
        "POST", "/_local/faults", json.dumps({"code": "ThrottlingException", "status": 429, "times": 2})
    )
    assert conn.getresponse().read() == b'{"injected": 2}'

    codes = []
    for _ in range(3):
        try:
            invoke(client, session)
            codes.append("ok")
        except ClientError as err:
            codes.append(err.response["Error"]["Code"])

    assert codes == ["ThrottlingException", "ThrottlingException", "ok"]
    assert [i.error_code for i in plane.invocations] == ["ThrottlingException", "ThrottlingException", None]


def test_expire_over_http_ends_the_session_as_if_idle(plane: AgentCoreLocal) -> None:
    session = sid("expired")
    invoke(agentcore_client(plane.endpoint_url), session)
    conn = http.client.HTTPConnection("127.0.0.1", int(plane.endpoint_url.rsplit(":", 1)[1]))
    conn.request(
        "POST", "/_local/sessions/expire", json.dumps({"runtime_arn": STEP1.arn, "session_id": session})
    )
    expired = conn.getresponse()
    assert (expired.status, json.loads(expired.read())) == (200, {"expire": session})

    assert plane.wait_ended(STEP1.arn, session, timeout=10)["ended_reason"] == "idle"
    conn.request(
        "POST", "/_local/sessions/kill", json.dumps({"runtime_arn": STEP1.arn, "session_id": session})
    )
    answer = conn.getresponse()
    assert (answer.status, answer.getheader("x-amzn-errortype", "").split(":")[0]) == (
        404,
        "ResourceNotFoundException",
    )


@pytest.mark.parametrize(
    ("path", "headers", "status", "code"),
    [
        (
            f"/runtimes/{quote(STEP1.arn, safe='')}/invocations",
            {"Content-Length": "100000001"},
            400,
            "ValidationException",
        ),
        (
            f"/runtimes/{quote(STEP1.arn, safe='')}/invocations?qualifier=prod",
            {},
            404,
            "ResourceNotFoundException",
        ),
        (f"/runtimes/{quote(STEP1.arn + 'x', safe='')}/invocations", {}, 404, "ResourceNotFoundException"),
        ("/runtimes/step1_local_sessions/invocations", {}, 400, "ValidationException"),
    ],
)
def test_refusals_are_shaped_as_the_service_shapes_them(
    plane: AgentCoreLocal, path: str, headers: dict[str, str], status: int, code: str
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", int(plane.endpoint_url.rsplit(":", 1)[1]))
    sent = {"X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": sid("refused"), "Content-Type": "application/json"}
    conn.putrequest("POST", path)
    for name, value in {**sent, "Content-Length": str(len(PAYLOAD)), **headers}.items():
        conn.putheader(name, value)
    conn.endheaders()
    if "Content-Length" not in headers:
        conn.send(PAYLOAD)
    answer = conn.getresponse()

    assert answer.status == status
    assert answer.getheader("x-amzn-errortype", "").split(":")[0] == code
    assert "message" in json.loads(answer.read())
    assert plane.sessions() == []


def test_a_bare_runtime_id_with_account_id_reaches_the_runtime(plane: AgentCoreLocal) -> None:
    client = agentcore_client(plane.endpoint_url)

    answer = client.invoke_agent_runtime(
        agentRuntimeArn="step1_local_sessions",
        accountId="123456789012",
        runtimeSessionId=sid("by-id"),
        payload=PAYLOAD,
    )

    assert json.loads(answer["response"].read()) == {"result": 3}


def test_spawn_mode_starts_a_fresh_interpreter_per_session() -> None:
    with AgentCoreLocal([STEP1], start_mode="spawn", stop_grace=1.0) as local:
        client = agentcore_client(local.endpoint_url)
        sessions = [sid("spawn-a"), sid("spawn-b")]
        for session in sessions:
            invoke(client, session)
        views = local.sessions()

    assert len({v["pid"] for v in views}) == 2
    # A fresh interpreter imports everything itself: nothing inherited, a real import's CPU.
    assert all(v["usage"]["inherited_cpu_seconds"] == 0 and v["usage"]["cpu_seconds"] > 0.05 for v in views)
    assert all(v["cold_start_seconds"] > 0.1 for v in views)


@pytest.mark.parametrize("mode", ["spawn", "fork"])
def test_a_runtime_that_fails_to_start_answers_runtime_client_error(mode: str, tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text("raise SystemExit('boom at import')\n")
    spec = step_runtime(f"broken_{mode}", tmp_path)
    with AgentCoreLocal([spec], start_mode=mode) as local:
        with pytest.raises(ClientError) as failed:
            agentcore_client(local.endpoint_url).invoke_agent_runtime(
                agentRuntimeArn=spec.arn, runtimeSessionId=sid("broken"), payload=PAYLOAD
            )
        [view] = local.sessions()

    assert failed.value.response["Error"]["Code"] == "RuntimeClientError"
    assert "failed to start" in failed.value.response["Error"]["Message"]
    assert "boom at import" in failed.value.response["Error"]["Message"]
    assert (view["status"], view["ended_reason"]) == ("ended", "crashed")


def test_sse_streams_through_to_boto3() -> None:
    agent = agent_app_runtime()
    with AgentCoreLocal([agent], start_mode="fork") as local:
        answer = agentcore_client(local.endpoint_url).invoke_agent_runtime(
            agentRuntimeArn=agent.arn,
            runtimeSessionId=sid("sse"),
            payload=b'{"prompt": {"a": 2, "b": 3, "mode": "stream"}}',
            accept="text/event-stream",
        )
        lines = [line for line in answer["response"].iter_lines() if line]

    assert answer["contentType"].startswith("text/event-stream")
    assert [json.loads(line.removeprefix(b"data: ")) for line in lines] == [
        {"partial": 2},
        {"partial": 3},
        {"result": 5},
    ]


def test_an_app_that_prints_at_import_still_forks(tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text(
        "print('hello from import')\n"
        "from bedrock_agentcore.runtime import BedrockAgentCoreApp\n"
        "app = BedrockAgentCoreApp()\n"
        "@app.entrypoint\n"
        "def invoke(payload):\n"
        "    return {'echo': payload}\n"
        "if __name__ == '__main__':\n"
        "    import os\n"
        "    app.run(port=int(os.environ['PORT']))\n"
    )
    spec = step_runtime("printing_app", tmp_path)
    with AgentCoreLocal([spec], start_mode="fork") as local:
        status, _, body = local.invoke(spec.arn, {"x": 1}, sid("printing"))

    assert (status, body) == (200, {"echo": {"x": 1}})


def test_a_kept_connection_the_session_closed_is_replaced(plane: AgentCoreLocal) -> None:
    client = agentcore_client(plane.endpoint_url)
    session = sid("keepalive")
    invoke(client, session)
    live = plane.pool.find(STEP1.arn, session)
    assert live is not None
    # The connection goes back to the session's pool just after the answer has been relayed.
    wait_until(lambda: len(live.connections) == 1, 5, "the kept connection back in the session's pool")
    # What uvicorn does to a connection idle for 5 s: the data plane's next send on it fails.
    live.connections[0].sock.shutdown(socket.SHUT_RDWR)

    assert invoke(client, session)["body"] == {"result": 3}
    assert [i.status for i in plane.invocations] == [200, 200]


def test_an_idle_verdict_never_ends_a_session_an_invocation_just_reached(plane: AgentCoreLocal) -> None:
    session = sid("idle-race")
    invoke(agentcore_client(plane.endpoint_url), session)
    live, _ = plane.pool.acquire(STEP1, session)  # an invocation in flight, as the reaper decides

    assert plane.pool.end(live, "idle", unless_invoked=True) is False
    plane.pool.release(live)
    assert plane.pool.end(live, "idle", unless_invoked=True) is True


def test_a_steps_400_reaches_boto3_with_its_code_and_message(plane: AgentCoreLocal) -> None:
    # botocore keeps only a top-level `message` of an error body: the step says its code and message there too.
    client = agentcore_client(plane.endpoint_url)
    with pytest.raises(ClientError) as raised:
        invoke(client, sid("bad-input"), b'{"prompt": {"a": "1", "b": 2}}')
    error = raised.value.response["Error"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Message"].startswith("InvalidInput: prompt.a must be a number, got a string")
    assert "InvalidInput: prompt.a must be a number" in str(raised.value)
