"""Step 4 async jobs: lifecycle, HealthyBusy, failures, concurrency and idempotency keys."""

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.awsrequest import AWSResponse

from commands.worlds import Resources
from local_cloud.aws import EmbeddedAws
from shared import aws
from shared.jobs.model import key_item_id
from tests.helpers import load_step, step_client

STEP = "4_dynamodb_sink"


def submit(client, **fields):
    return client.post("/invocations", json={"prompt": {"a": 7, "b": 2}, "mode": "async", **fields})


def wait_for(client, job_id: str, statuses=("SUCCEEDED", "FAILED"), timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.post("/invocations", json={"job_status": job_id})
        assert response.status_code == 200, response.text
        if response.json()["status"] in statuses:
            return response.json()
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def wait_idle(client, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ping = client.get("/ping").json()
        if ping["status"] == "Healthy":
            return ping
        time.sleep(0.05)
    raise AssertionError("still HealthyBusy")


def items(aws_env: EmbeddedAws, res: Resources) -> dict[str, dict]:
    scanned = aws_env.client("dynamodb").scan(TableName=res.table_name, ConsistentRead=True)["Items"]
    return {i["id"]["S"]: i for i in scanned}


def test_job_lifecycle_and_ping_transitions(resources: Resources, aws_env: EmbeddedAws) -> None:
    client = step_client(STEP)
    idle = wait_idle(client)
    response = submit(client, delay_seconds=1)
    assert response.status_code == 202
    job = response.json()
    assert job["status"] == "PENDING" and job["input"] == {"a": 7, "b": 2}
    busy = client.get("/ping").json()
    assert busy["status"] == "HealthyBusy"
    assert busy["time_of_last_update"] >= idle["time_of_last_update"]
    assert client.get("/ping").json() == busy, "the timestamp changes only when the status does"
    running = wait_for(client, job["job_id"], statuses=("RUNNING", "SUCCEEDED"))
    assert running["status"] == "RUNNING" and "started_at" in running
    done = wait_for(client, job["job_id"])
    assert done["status"] == "SUCCEEDED" and done["result"] == 9
    assert done["finished_at"] >= done["started_at"] >= done["created_at"]
    after = wait_idle(client)
    assert after["time_of_last_update"] >= busy["time_of_last_update"]
    assert client.get("/ping").json() == after
    stored = items(aws_env, resources)
    assert stored[done["item_id"]]["result"] == {"N": "9"}
    assert stored["job#" + job["job_id"]]["status"] == {"S": "SUCCEEDED"}
    assert len(stored) == 2, "one job record and one result item"


def test_synchronous_requests_are_unchanged(resources: Resources, aws_env: EmbeddedAws) -> None:
    response = step_client(STEP).post("/invocations", json={"prompt": {"a": 4, "b": 5}, "mode": "sync"})
    assert response.status_code == 200
    assert set(response.json()) == {"result", "dynamodb_stored", "item_id", "timestamp"}


def test_failed_write_ends_failed_and_the_task_is_completed(
    resources: Resources, aws_env: EmbeddedAws
) -> None:
    client = step_client(STEP)
    wait_idle(client)

    def deny_result_writes(request, **_):
        # Job records pass; the result item is refused, as an IAM policy without that key would.
        if b'"job#' not in request.body:
            body = b'{"__type": "AccessDeniedException", "message": "denied"}'
            return AWSResponse(
                request.url, 400, {"x-amzn-query-error": "AccessDeniedException;Sender"}, _Raw(body)
            )
        return None

    aws.client("dynamodb").meta.events.register("before-send.dynamodb.PutItem", deny_result_writes)
    job = submit(client).json()
    done = wait_for(client, job["job_id"])
    assert done["status"] == "FAILED"
    assert done["error"]["code"] == "SinkWriteFailed" and "AccessDenied" in done["error"]["message"]
    assert "result" not in done
    wait_idle(client)
    assert list(items(aws_env, resources)) == ["job#" + job["job_id"]]


def test_a_crash_in_the_work_ends_failed_without_internals(resources, aws_env, monkeypatch) -> None:
    client = step_client(STEP)
    wait_idle(client)

    def crash(*_args, **_kwargs):
        raise ZeroDivisionError("secret detail")

    monkeypatch.setattr(load_step(STEP).DynamoDbWriter, "put", crash)
    job = submit(client).json()
    done = wait_for(client, job["job_id"])
    assert done["status"] == "FAILED" and done["error"]["code"] == "InternalError"
    assert "secret" not in json.dumps(done)
    wait_idle(client)


def test_twenty_concurrent_jobs_all_succeed_with_one_item_each(resources, aws_env) -> None:
    client = step_client(STEP)
    with ThreadPoolExecutor(20) as pool:
        answers = list(
            pool.map(
                lambda i: client.post("/invocations", json={"prompt": {"a": i, "b": 1000}, "mode": "async"}),
                range(20),
            )
        )
    assert [a.status_code for a in answers] == [202] * 20
    jobs = [a.json()["job_id"] for a in answers]
    assert len(set(jobs)) == 20
    results = {wait_for(client, j)["result"] for j in jobs}
    assert results == {i + 1000 for i in range(20)}
    wait_idle(client)
    stored = items(aws_env, resources)
    assert len([k for k in stored if k.startswith("job#")]) == 20
    assert sorted(int(v["result"]["N"]) for k, v in stored.items() if not k.startswith("job#")) == sorted(
        results
    )


def test_idempotency_key_starts_the_work_once_under_concurrency(resources, aws_env) -> None:
    client = step_client(STEP)
    key = f"order-{uuid.uuid4()}"
    barrier = threading.Barrier(10)

    def go(_):
        barrier.wait()
        return submit(client, idempotency_key=key, delay_seconds=1)

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(go, range(10)))
    assert sorted(a.status_code for a in answers) == [200] * 9 + [202]
    assert len({a.json()["job_id"] for a in answers}) == 1
    done = wait_for(client, answers[0].json()["job_id"])
    assert done["status"] == "SUCCEEDED" and done["idempotency_key"] == key
    again = submit(client, idempotency_key=key)
    assert again.status_code == 200 and again.json()["status"] == "SUCCEEDED"
    wait_idle(client)
    stored = items(aws_env, resources)
    # One job record, the one item that maps the key to it, one result item: nothing more.
    assert sorted(stored) == sorted([f"job#{done['job_id']}", key_item_id(None, key), done["item_id"]])
    assert stored[key_item_id(None, key)]["job_id"] == {"S": done["job_id"]}


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"job_status": "no-such-job"}, 404, "NotFound", "job_status"),
        ({"job_status": ""}, 400, "InvalidInput", "job_status"),
        ({"job_status": 42}, 400, "InvalidInput", "job_status"),
        ({"job_status": "../etc/passwd"}, 400, "InvalidInput", "job_status"),
        ({"job_status": "x" * 129}, 400, "InvalidInput", "job_status"),
        ({"prompt": {"a": 1, "b": 2}, "mode": "later"}, 400, "InvalidInput", "mode"),
        (
            {"prompt": {"a": 1, "b": 2}, "mode": "async", "delay_seconds": -1},
            400,
            "InvalidInput",
            "delay_seconds",
        ),
        (
            {"prompt": {"a": 1, "b": 2}, "mode": "async", "delay_seconds": 28801},
            400,
            "InvalidInput",
            "delay_seconds",
        ),
        (
            {"prompt": {"a": 1, "b": 2}, "mode": "async", "delay_seconds": 1.5},
            400,
            "InvalidInput",
            "delay_seconds",
        ),
        (
            {"prompt": {"a": 1, "b": 2}, "mode": "async", "delay_seconds": True},
            400,
            "InvalidInput",
            "delay_seconds",
        ),
        ({"prompt": {"a": 1, "b": 2}, "delay_seconds": 5}, 400, "InvalidInput", "delay_seconds"),
        (
            {"prompt": {"a": 1, "b": 2}, "mode": "async", "idempotency_key": ""},
            400,
            "InvalidInput",
            "idempotency_key",
        ),
        (
            {"prompt": {"a": 1, "b": 2}, "mode": "async", "idempotency_key": 7},
            400,
            "InvalidInput",
            "idempotency_key",
        ),
        ({"prompt": {"a": "1", "b": 2}, "mode": "async"}, 400, "InvalidInput", "prompt.a"),
    ],
)
def test_bad_job_requests(payload, status, code, field, resources, aws_env) -> None:
    response = step_client(STEP).post("/invocations", json=payload)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code and response.json()["error"]["field"] == field
    assert items(aws_env, resources) == {}


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_):
        yield self._body


@pytest.mark.parametrize(("a", "b", "result"), [(10**60, 0, 10**60), (0, 0, 0)])
def test_storable_numbers_with_many_trailing_zeros_work_as_jobs(a, b, result, resources, aws_env) -> None:
    client = step_client(STEP)
    response = client.post("/invocations", json={"prompt": {"a": a, "b": b}, "mode": "async"})
    assert response.status_code == 202, response.text
    done = wait_for(client, response.json()["job_id"])
    assert done["status"] == "SUCCEEDED" and done["result"] == result
    wait_idle(client)


# Leases, cancellation and callers on the runtime side (the same shared code the proxy uses).


def test_cancel_stops_a_running_job_before_it_writes(resources, aws_env, monkeypatch) -> None:
    monkeypatch.setenv("JOB_LEASE_SECONDS", "3")  # the worker looks every second
    client = step_client(STEP)
    job = submit(client, delay_seconds=30).json()
    wait_for(client, job["job_id"], statuses=("RUNNING",))

    cancelled = client.post("/invocations", json={"cancel_job": job["job_id"]})

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED"
    # The worker sees it at its next heartbeat and stops waiting: the session is idle again.
    wait_idle(client, timeout=5)
    stored = items(aws_env, resources)
    assert list(stored) == ["job#" + job["job_id"]], "no result item: the work stopped before its write"
    assert stored["job#" + job["job_id"]]["status"] == {"S": "CANCELLED"}
    assert wait_for(client, job["job_id"], statuses=("CANCELLED",))["status"] == "CANCELLED"


@pytest.mark.parametrize("job_id", ["finished", "unknown"])
def test_cancelling_a_finished_or_unknown_job(job_id, resources, aws_env) -> None:
    client = step_client(STEP)
    if job_id == "finished":
        job_id = submit(client).json()["job_id"]
        wait_for(client, job_id)
        wait_idle(client)
    else:
        job_id = "00000000-0000-4000-8000-000000000000"

    response = client.post("/invocations", json={"cancel_job": job_id})

    error = response.json()["error"]
    if job_id == "00000000-0000-4000-8000-000000000000":
        assert (response.status_code, error["code"], error["field"]) == (404, "NotFound", "cancel_job")
    else:
        assert (response.status_code, error["code"], error["status"]) == (409, "JobFinished", "SUCCEEDED")
        assert "already finished" in error["message"]
        assert items(aws_env, resources)["job#" + job_id]["status"] == {"S": "SUCCEEDED"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"cancel_job": ""}, "cancel_job"),
        ({"cancel_job": "a/b"}, "cancel_job"),
        ({"cancel_job": "abc", "prompt": {"a": 1, "b": 2}}, "prompt"),
        ({"job_status": "abc", "caller": 7}, "caller"),
    ],
)
def test_bad_cancel_and_status_requests(payload, field, resources, aws_env) -> None:
    response = step_client(STEP).post("/invocations", json=payload)

    assert response.status_code == 400 and response.json()["error"]["field"] == field
    assert items(aws_env, resources) == {}


def test_callers_named_by_the_front_are_kept_apart(resources, aws_env) -> None:
    client = step_client(STEP)
    key = f"order-{uuid.uuid4()}"

    mine = submit(client, idempotency_key=key, caller="key:a").json()
    theirs = submit(client, idempotency_key=key, caller="key:b").json()
    wait_idle(client)

    assert mine["job_id"] != theirs["job_id"]
    for job, owner, other in ((mine, "key:a", "key:b"), (theirs, "key:b", "key:a")):
        assert (
            client.post("/invocations", json={"job_status": job["job_id"], "caller": owner}).status_code
            == 200
        )
        for stranger in ({"caller": other}, {}):
            for ask in ("job_status", "cancel_job"):
                answer = client.post("/invocations", json={ask: job["job_id"], **stranger})
                assert answer.status_code == 404 and answer.json()["error"]["code"] == "NotFound"
    stored = items(aws_env, resources)
    assert {stored["job#" + j["job_id"]]["caller"]["S"] for j in (mine, theirs)} == {"key:a", "key:b"}


def test_a_job_its_session_cannot_finish_is_refused(resources, aws_env, monkeypatch) -> None:
    monkeypatch.setenv("RUNTIME_MAX_LIFETIME_SECONDS", "60")

    response = submit(step_client(STEP), delay_seconds=55)

    error = response.json()["error"]
    assert (response.status_code, error["code"], error["field"]) == (400, "InvalidInput", "delay_seconds")
    assert "maxLifetime 60 s" in error["message"]
    assert items(aws_env, resources) == {}


def test_a_lost_job_reads_as_job_lost_and_runs_again_once(resources, aws_env, monkeypatch) -> None:
    from datetime import timedelta

    from shared.core.records import utc_now
    from shared.jobs.model import NewJob, new_job_id
    from shared.jobs.store import JobStore

    # A session that stored the PENDING record and died before the work started, an hour ago.
    key = f"order-{uuid.uuid4()}"
    store = JobStore(aws_env.client("dynamodb"), resources.table_name, lease_seconds=3)
    lost, _ = store.submit(
        NewJob(job_id=new_job_id(), a=40, b=2, request_id="r-1", session_id=None, idempotency_key=key,
               delay_seconds=0),
        now=utc_now() - timedelta(hours=1),
    )  # fmt: skip
    client = step_client(STEP)

    seen = client.post("/invocations", json={"job_status": lost["job_id"]}).json()
    again = [submit(client, idempotency_key=key) for _ in range(3)]

    assert (seen["status"], seen["error"]["code"]) == ("FAILED", "JobLost")
    assert [a.status_code for a in again] == [202, 200, 200]
    assert {a.json()["job_id"] for a in again} == {lost["job_id"]}
    done = wait_for(client, lost["job_id"])
    assert (done["status"], done["result"], done["attempt"]) == ("SUCCEEDED", 42, 2)
    wait_idle(client)
    stored = items(aws_env, resources)
    assert sorted(stored) == sorted(["job#" + lost["job_id"], key_item_id(None, key), done["item_id"]])
