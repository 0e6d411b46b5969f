"""Jobs that lose their session, cancelled jobs, callers kept apart, sessions ended: end to end on the local
data plane (one step 4 process per session, killed or stopped on demand), through the local API Gateway
with two API keys and the proxy in its own process, with a short job lease (JOB_LEASE_SECONDS).

Everything is asserted on what landed: job records and result items in moto's DynamoDB, the data plane's
session table (pids, end reasons, session-seconds), HTTP statuses and error codes.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from commands.worlds import Resources, lambda_environment, step5_front
from local_cloud.agentcore import AgentCoreLocal
from local_cloud.apigw import ApiGatewayProcess
from local_cloud.apigw.auth import local_token
from local_cloud.aws import EmbeddedAws, dynamodb_item
from local_cloud.http import call
from shared.jobs.model import NewJob, new_job_id
from shared.jobs.store import JobStore
from tests.helpers import agentcore_client
from tests.steps.step5.jobs_support import Caller, finished, job_record, lost, result_items, wait_record
from tests.steps.step5.support import (
    LOCAL_SETTINGS,
    SESSION_SECRET,
    STEP4_ARN,
    runtime_session,
    step4_runtime,
)

pytestmark = pytest.mark.e2e

# Short enough that a lost job shows within seconds, long enough (a heartbeat every 5/3 s, two beats of
# slack) that a busy machine does not lose a live one.
LEASE = 5
MAX_LIFETIME = 120
KEYS = ("caller-a-key-0123456789abcdef", "caller-b-key-0123456789abcdef")


@pytest.fixture(scope="module")
def plane(aws: EmbeddedAws, sinks: Resources) -> Iterator[AgentCoreLocal]:
    """A data plane of its own: step 4 with the short lease, sessions living at most MAX_LIFETIME."""
    spec = step4_runtime(aws, sinks, max_lifetime=MAX_LIFETIME, lease_seconds=LEASE)
    with AgentCoreLocal([spec], **{**LOCAL_SETTINGS, "max_lifetime": MAX_LIFETIME}) as data_plane:
        yield data_plane


@pytest.fixture(scope="module")
def front(aws: EmbeddedAws, sinks: Resources, plane: AgentCoreLocal) -> Iterator[ApiGatewayProcess]:
    """The proxy behind API keys (each key one caller), in its own process."""
    env = lambda_environment(aws, sinks, plane, caller_identity="api_key", session_secret=SESSION_SECRET)
    with step5_front(env, api_keys=KEYS) as gateway:
        yield gateway


@pytest.fixture
def a(front: ApiGatewayProcess) -> Caller:
    return Caller(front.url, KEYS[0])


@pytest.fixture
def b(front: ApiGatewayProcess) -> Caller:
    return Caller(front.url, KEYS[1])


def key() -> str:
    return f"order-{uuid.uuid4()}"


def running_session(aws: EmbeddedAws, sinks: Resources, job_id: str) -> str:
    """Wait until the job's worker has started; return the job's runtime session id."""
    record = wait_record(aws, sinks.table_name, job_id, lambda r: r["status"] == "RUNNING", timeout=10)
    return str(record["session_id"])


def lose(how: str, plane: AgentCoreLocal, session: str) -> None:
    """End a job's session under it: its process killed, or StopRuntimeSession as a caller sends it."""
    if how == "kill":
        assert plane.kill(STEP4_ARN, session)
    else:
        agentcore_client(plane.endpoint_url).stop_runtime_session(
            agentRuntimeArn=STEP4_ARN, runtimeSessionId=session
        )


@pytest.mark.parametrize("how", ["kill", "stop"])
def test_a_job_whose_session_ends_reads_job_lost_and_runs_once_on_resubmission(
    how: str, a: Caller, plane: AgentCoreLocal, aws: EmbeddedAws, sinks: Resources
) -> None:
    body = {"prompt": {"a": 40, "b": 2}, "delay_seconds": 3, "idempotency_key": key()}
    status, job = a.submit(body)
    assert status == 202
    session = running_session(aws, sinks, job["job_id"])

    lose(how, plane, session)
    ended_at = time.monotonic()
    seen = a.poll(job["job_id"], finished, timeout=LEASE + 5)

    assert lost(seen), seen
    assert "session ended before the job finished" in seen["error"]["message"]
    # Within the lease (and a poll): readers noticed, nobody cleaned up.
    assert time.monotonic() - ended_at <= LEASE + 2
    assert plane.session(STEP4_ARN, session)["ended_reason"] == ("crashed" if how == "kill" else "stopped")
    assert result_items(aws, sinks.table_name, job["job_id"]) == []

    again_status, again = a.submit(body)
    done = a.poll(job["job_id"], lambda v: v["status"] == "SUCCEEDED", timeout=20)

    assert again_status == 202 and again["job_id"] == job["job_id"] and again["attempt"] == 2
    assert (done["result"], done["attempt"]) == (42, 2)
    [written] = result_items(aws, sinks.table_name, job["job_id"])
    assert (written["id"], written["result"]) == (done["item_id"], "42")
    # The second attempt ran in a session of its own, which the finished job ended.
    second = job_record(aws, sinks.table_name, job["job_id"])["session_id"]
    assert second != session
    assert plane.wait_ended(STEP4_ARN, second, timeout=10)["ended_reason"] == "stopped"


def test_twenty_concurrent_resubmissions_after_job_lost_start_the_work_once(
    a: Caller, plane: AgentCoreLocal, aws: EmbeddedAws, sinks: Resources
) -> None:
    body = {"prompt": {"a": 1, "b": 2}, "delay_seconds": 2, "idempotency_key": key()}
    _, job = a.submit(body)
    lose("kill", plane, running_session(aws, sinks, job["job_id"]))
    a.poll(job["job_id"], lost, timeout=LEASE + 5)
    sessions_before = {s["session_id"] for s in plane.sessions()}
    barrier = threading.Barrier(20)

    def resubmit(_: int) -> tuple[int, dict[str, Any]]:
        barrier.wait()
        return a.submit(body)

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(resubmit, range(20)))
    done = a.poll(job["job_id"], finished, timeout=20)

    assert sorted(status for status, _ in answers) == [200] * 19 + [202]
    assert {answer["job_id"] for _, answer in answers} == {job["job_id"]}
    assert (done["status"], done["attempt"]) == ("SUCCEEDED", 2)
    assert len(result_items(aws, sinks.table_name, job["job_id"])) == 1
    # Twenty sessions were opened; the nineteen that started nothing were ended by the proxy, the one that
    # ran the job by the job. None is left idling.
    burst = [s for s in plane.sessions() if s["session_id"] not in sessions_before]
    assert len(burst) == 20
    for session in burst:
        assert plane.wait_ended(STEP4_ARN, session["session_id"], timeout=15)["ended_reason"] == "stopped"


def test_a_crash_between_pending_and_start_is_detected_the_same_way(
    a: Caller, aws: EmbeddedAws, sinks: Resources
) -> None:
    # What a session leaves when it dies right after storing the PENDING record: the record, no worker.
    idempotency_key = key()
    store = JobStore(aws.client("dynamodb"), sinks.table_name, lease_seconds=LEASE)
    pending, _ = store.submit(
        NewJob(job_id=new_job_id(), a=5, b=6, request_id="r-pending", session_id="gone-" + "s" * 40,
               idempotency_key=idempotency_key, delay_seconds=0, caller=a.scope)
    )  # fmt: skip

    seen = a.poll(pending["job_id"], finished, timeout=LEASE + 5)
    status, again = a.submit({"prompt": {"a": 5, "b": 6}, "idempotency_key": idempotency_key})
    done = a.poll(pending["job_id"], lambda v: v["status"] == "SUCCEEDED", timeout=20)

    assert lost(seen) and "started_at" not in seen
    assert (status, again["job_id"], again["attempt"]) == (202, pending["job_id"], 2)
    assert done["result"] == 11
    assert len(result_items(aws, sinks.table_name, pending["job_id"])) == 1


def test_cancel_a_running_job_stops_it_and_ends_its_session(
    a: Caller, plane: AgentCoreLocal, aws: EmbeddedAws, sinks: Resources
) -> None:
    _, job = a.submit({"prompt": {"a": 1, "b": 1}, "delay_seconds": 60})
    session = running_session(aws, sinks, job["job_id"])

    status, _, cancelled = a.send("DELETE", f"/jobs/{job['job_id']}")

    assert (status, cancelled["status"]) == (200, "CANCELLED")
    ended = plane.wait_ended(STEP4_ARN, session, timeout=10)
    assert ended["ended_reason"] == "stopped" and ended["usage"]["session_seconds"] > 0
    record = job_record(aws, sinks.table_name, job["job_id"])
    assert (record["status"], bool(record["finished_at"])) == ("CANCELLED", True)
    assert result_items(aws, sinks.table_name, job["job_id"]) == []
    # Past the lease a cancelled job stays CANCELLED: it is no lost job.
    time.sleep(0.5)
    assert a.view(job["job_id"])[1]["status"] == "CANCELLED"


def test_cancelling_a_finished_job_is_409_and_an_unknown_one_404(
    a: Caller, aws: EmbeddedAws, sinks: Resources
) -> None:
    _, job = a.submit({"prompt": {"a": 2, "b": 2}})
    a.poll(job["job_id"], finished, timeout=20)

    finished_status, _, conflict = a.send("DELETE", f"/jobs/{job['job_id']}")
    unknown_status, _, unknown = a.send("DELETE", f"/jobs/{new_job_id()}")

    assert finished_status == 409
    assert (conflict["error"]["code"], conflict["error"]["status"]) == ("JobFinished", "SUCCEEDED")
    assert "already finished" in conflict["error"]["message"]
    assert job_record(aws, sinks.table_name, job["job_id"])["status"] == "SUCCEEDED"
    assert (unknown_status, unknown["error"]["code"], unknown["error"]["field"]) == (
        404,
        "NotFound",
        "path.id",
    )


def test_two_api_keys_with_one_idempotency_key_get_two_jobs_and_cannot_see_each_others(
    a: Caller, b: Caller, aws: EmbeddedAws, sinks: Resources
) -> None:
    body = {"prompt": {"a": 3, "b": 4}, "idempotency_key": key()}

    (status_a, job_a), (status_b, job_b) = a.submit(body), b.submit(body)

    assert (status_a, status_b) == (202, 202)
    assert job_a["job_id"] != job_b["job_id"]
    for owner, other, job in ((a, b, job_a), (b, a, job_b)):
        assert owner.poll(job["job_id"], finished, timeout=20)["status"] == "SUCCEEDED"
        unknown = other.view(new_job_id())[1]["error"]
        for method in ("GET", "DELETE"):
            status, _, answer = other.send(method, f"/jobs/{job['job_id']}")
            # The same answer as for an id no job has: nothing says the job exists.
            assert status == 404
            assert {
                k: v for k, v in answer["error"].items() if k not in ("job_id", "request_id", "message")
            } == {k: v for k, v in unknown.items() if k not in ("job_id", "request_id", "message")}
        assert job_record(aws, sinks.table_name, job["job_id"])["caller"] == owner.scope


def test_the_same_session_id_from_two_keys_reaches_two_runtime_sessions(
    a: Caller, b: Caller, plane: AgentCoreLocal, aws: EmbeddedAws, sinks: Resources
) -> None:
    given = f"conversation-{uuid.uuid4()}"

    answers = [caller.send("POST", "/calculate", {"prompt": {"a": 1, "b": 1}}, **{"X-Session-Id": given})
               for caller in (a, b, a)]  # fmt: skip

    assert [status for status, _, _ in answers] == [200, 200, 200]
    sessions = [
        dynamodb_item(aws, sinks.table_name, body["data"]["item_id"])["session_id"] for *_, body in answers
    ]
    assert sessions == [runtime_session(given, caller.scope) for caller in (a, b, a)]
    pids = [plane.session(STEP4_ARN, session)["pid"] for session in sessions]
    # One process for a's session (both calls), another for b's: two microVMs, never shared.
    assert pids[0] == pids[2] != pids[1]
    assert all(plane.session(STEP4_ARN, s)["status"] == "running" for s in sessions), "kept for the caller"
    assert plane.session(STEP4_ARN, given) is None


def test_sessions_opened_for_one_request_or_one_job_are_ended(
    a: Caller, plane: AgentCoreLocal, aws: EmbeddedAws, sinks: Resources
) -> None:
    _, _, calculated = a.send("POST", "/calculate", {"prompt": {"a": 2, "b": 3}})
    _, job = a.submit({"prompt": {"a": 2, "b": 3}})
    a.poll(job["job_id"], finished, timeout=20)

    one_off = dynamodb_item(aws, sinks.table_name, calculated["data"]["item_id"])["session_id"]
    job_session = job_record(aws, sinks.table_name, job["job_id"])["session_id"]
    for session in (one_off, job_session):
        view = plane.wait_ended(STEP4_ARN, session, timeout=10)
        assert view["ended_reason"] == "stopped"
        # Session-seconds billed: the work, not an idle timeout after it.
        assert 0 < view["usage"]["session_seconds"] < LOCAL_SETTINGS["idle_timeout"]
        assert view["usage"]["cost_usd"]


def test_a_job_longer_than_the_session_may_live_is_refused_before_the_runtime(
    a: Caller, plane: AgentCoreLocal
) -> None:
    before = len(plane.invocations)

    status, refused = a.submit({"prompt": {"a": 1, "b": 1}, "delay_seconds": MAX_LIFETIME - 5})

    assert (status, refused["error"]["code"], refused["error"]["field"]) == (
        400,
        "InvalidInput",
        "delay_seconds",
    )
    assert f"maxLifetime {MAX_LIFETIME} s" in refused["error"]["message"]
    assert len(plane.invocations) == before


def test_a_request_without_a_valid_key_is_api_gateways_403(
    front: ApiGatewayProcess, plane: AgentCoreLocal
) -> None:
    before = len(plane.invocations)

    for headers in ({}, {"x-api-key": "not-a-key-0123456789"}):
        status, _, body = Caller(front.url, "").send("POST", "/jobs", {"prompt": {"a": 1, "b": 1}}, **headers)
        assert (status, body) == (403, {"message": "Forbidden"})
    assert len(plane.invocations) == before


@pytest.fixture(scope="module")
def jwt_front(aws: EmbeddedAws, sinks: Resources, plane: AgentCoreLocal) -> Iterator[ApiGatewayProcess]:
    """The proxy behind the local JWT mode (unsigned local tokens, claims read as a Cognito authorizer's)."""
    env = lambda_environment(aws, sinks, plane, caller_identity="jwt", session_secret=SESSION_SECRET)
    with step5_front(env, jwt=True) as gateway:
        yield gateway


def test_jwt_callers_are_their_sub_claim_end_to_end(
    jwt_front: ApiGatewayProcess, aws: EmbeddedAws, sinks: Resources
) -> None:
    tokens = {sub: local_token({"sub": sub, "iss": "https://issuer.local"}) for sub in ("alice", "bob")}
    body = {"prompt": {"a": 20, "b": 22}, "idempotency_key": key()}

    def send(sub: str | None, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {tokens[sub]}"} if sub else {}
        status, _, answer = call(f"{jwt_front.url}{path}", payload, headers, method=method)
        return status, answer

    (status_a, alice), (status_b, bob) = (
        send("alice", "POST", "/jobs", body),
        send("bob", "POST", "/jobs", body),
    )
    anonymous = send(None, "POST", "/jobs", body)

    assert (status_a, status_b) == (202, 202) and alice["job_id"] != bob["job_id"]
    assert anonymous == (401, {"message": "Unauthorized"})
    assert send("bob", "GET", f"/jobs/{alice['job_id']}")[0] == 404
    assert send("alice", "GET", f"/jobs/{alice['job_id']}")[0] == 200
    assert job_record(aws, sinks.table_name, alice["job_id"])["caller"] == "sub:https://issuer.local alice"
