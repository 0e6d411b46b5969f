"""Idle reaping as /ping says, HealthyBusy keeping an async job's session, maxLifetime ending a busy one
(step 4 behind the local data plane, moto's DynamoDB; timeouts of a second or two, polled with deadlines)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from commands.worlds import Resources, create_sinks, step_runtime
from local_cloud.agentcore import AgentCoreLocal
from local_cloud.aws import EmbeddedAws
from tests.helpers import agentcore_client, wait_until

PAYLOAD = {"prompt": {"a": 2, "b": 3}}


@pytest.fixture
def step4(moto_server: EmbeddedAws) -> Iterator[tuple[AgentCoreLocal, str, Resources]]:
    """Step 4 on a data plane with a 1.5 s idle timeout (forked sessions, 1 s termination grace)."""
    res = create_sinks(moto_server, f"lc{uuid.uuid4().hex[:10]}")
    # Without its ARN (OTEL_RESOURCE_ATTRIBUTES) step 4 cannot end its own session after a job: these
    # tests watch the data plane reap a session whose /ping went back to Healthy, as it would any app's.
    env = {**moto_server.env(), **res.env(), "OTEL_RESOURCE_ATTRIBUTES": ""}
    spec = step_runtime(f"step4_lifecycle_{uuid.uuid4().hex[:6]}", "4_dynamodb_sink", env)
    with AgentCoreLocal(
        [spec], start_mode="fork", idle_timeout=1.5, stop_grace=1.0, ping_interval=0.2
    ) as plane:
        yield plane, spec.arn, res


def _invoke(plane: AgentCoreLocal, arn: str, session: str, payload: dict) -> dict:
    answer = agentcore_client(plane.endpoint_url).invoke_agent_runtime(
        agentRuntimeArn=arn, runtimeSessionId=session, payload=json.dumps(payload).encode()
    )
    return json.loads(answer["response"].read())


def test_an_idle_session_is_reaped_and_a_busy_one_is_kept(
    step4: tuple[AgentCoreLocal, str, Resources],
) -> None:
    plane, arn, _ = step4
    idle, busy = f"idle-{uuid.uuid4()}", f"busy-{uuid.uuid4()}"
    assert _invoke(plane, arn, idle, PAYLOAD)["dynamodb_stored"] is True
    job = _invoke(plane, arn, busy, {**PAYLOAD, "mode": "async", "delay_seconds": 4})
    assert job["status"] == "PENDING"

    reaped = plane.wait_ended(arn, idle, timeout=10)

    assert reaped["ended_reason"] == "idle" and reaped["ping"] == "Healthy"
    # Ended for idleness: at least the idle timeout after its last invocation.
    assert reaped["ended_at"] - reaped["last_invocation_at"] >= 1.5
    kept = plane.session(arn, busy)
    assert kept is not None and (kept["status"], kept["ping"]) == ("running", "HealthyBusy")
    # Once the job is done the session reports Healthy, and is reaped in its turn.
    done = wait_until(
        lambda: (
            (v := _invoke(plane, arn, busy, {"job_status": job["job_id"]}))["status"] == "SUCCEEDED" and v
        ),
        15,
        "the job to finish",
        every=0.3,
    )
    assert done["result"] == 5
    assert plane.wait_ended(arn, busy, timeout=10)["ended_reason"] == "idle"


def test_a_moving_time_of_last_update_is_respected(step4: tuple[AgentCoreLocal, str, Resources]) -> None:
    plane, arn, _ = step4
    session = f"stamp-{uuid.uuid4()}"
    _invoke(plane, arn, session, {**PAYLOAD, "mode": "async", "delay_seconds": 1})

    ended = plane.wait_ended(arn, session, timeout=15)

    # Busy for ~1 s, then Healthy from the job's end (the SDK moves time_of_last_update then): the idle
    # clock starts at that stamp, not at the last invocation.
    assert ended["ended_reason"] == "idle"
    assert ended["time_of_last_update"] > ended["last_invocation_at"]
    assert ended["ended_at"] - ended["time_of_last_update"] >= 1.5 - 1  # the stamp has whole seconds


def test_max_lifetime_ends_a_busy_session(moto_server: EmbeddedAws) -> None:
    res = create_sinks(moto_server, f"ml{uuid.uuid4().hex[:10]}")
    spec = step_runtime(
        f"step4_maxlife_{uuid.uuid4().hex[:6]}", "4_dynamodb_sink", {**moto_server.env(), **res.env()}
    )
    session = f"maxlife-{uuid.uuid4()}"
    with AgentCoreLocal(
        # 4 s: room for the start and the invocation on a loaded 2-core machine, so the job is running
        # when the lifetime runs out (with 2 s, a slow start could reach it before the job began).
        [spec],
        start_mode="fork",
        max_lifetime=4.0,
        stop_grace=1.0,
        ping_interval=0.2,
    ) as plane:
        _invoke(plane, spec.arn, session, {**PAYLOAD, "mode": "async", "delay_seconds": 30})

        ended = plane.wait_ended(spec.arn, session, timeout=20)

    assert (ended["ended_reason"], ended["ping"]) == ("max_lifetime", "HealthyBusy")
    # As the service does, a maxLifetime under the idle timeout is the idle timeout too.
    assert (ended["idle_timeout"], ended["max_lifetime"]) == (4.0, 4.0)
    assert 4.0 <= ended["ended_at"] - ended["started_at"] < 12
    assert ended["exit"] in ("killed by SIGTERM", "killed by SIGKILL", "exit code 0")
