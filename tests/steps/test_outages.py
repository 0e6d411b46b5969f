"""Faults: the embedded AWS stops in the middle of a load and comes back; the runtime stops in the middle of
its jobs and comes back; replays of a request id."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from commands.steps import SINK_STEPS
from harness.step_server import StepServer
from local_cloud.agentcore import AgentCoreLocal
from tests.helpers import REQUEST_ID_HEADER, assert_no_leak
from tests.steps.helpers import (
    SqsCollector,
    collect,
    ddb_records,
    invoke_job,
    records_by_request_id,
    response_request_id,
    restart_aws,
    results_of,
    step4_jobs_runtime,
    step_env,
    sum_requests,
    wait_jobs,
)

FAULT_LOAD = 800
SINK_ERROR_CODES = {"SinkWriteFailed", "SinkThrottled"}

pytestmark = [pytest.mark.reliability, pytest.mark.slow]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("step", SINK_STEPS)
def test_emulator_outage_mid_load(module_aws, step):
    env = step_env(module_aws, step)
    collector = SqsCollector(module_aws, env["SQS_QUEUE_URL"]) if step == "2_sqs_sink" else None
    with StepServer(step, env) as server, collector or contextlib.nullcontext():
        pid = server.process.pid
        load = collect(server.port, sum_requests(FAULT_LOAD), concurrency=16)
        time.sleep(1.0)
        module_aws._server.stop()  # moto's server goes away; its state stays in this process
        pings = []
        for _ in range(5):
            pings.append(server.ping()["status"])
            time.sleep(0.3)
        restart_aws(module_aws)
        results = results_of(load)
        # Recovered without a restart: the same process answers new invocations with 200.
        assert server.process.pid == pid and server.process.poll() is None
        after = [server.invoke({"prompt": {"a": 1, "b": 2}}) for _ in range(5)]
        records = dict(records_by_request_id(module_aws, step, env, collector))

    assert pings == ["Healthy"] * 5
    assert [status for status, _ in after] == [200] * 5
    for _, body in after:
        assert response_request_id(step, body) in records

    ok = failed = 0
    for status, text in results:
        assert_no_leak(text)
        body = json.loads(text)
        if status == 200:
            ok += 1
            rid = response_request_id(step, body)
            assert rid in records, f"success reported without a record: {body}"
        else:
            failed += 1
            assert status in (502, 503), (status, text)
            assert body["error"]["code"] in SINK_ERROR_CODES
            assert body["error"]["message"]
    # The outage really happened in the middle of the load.
    assert ok > 0 and failed > 0, f"{ok} succeeded and {failed} failed: the outage missed the load"
    print(f"{step}: {ok} succeeded, {failed} failed with a 5xx envelope during the outage")


JOB_LEASE = 5
# Long enough to be mid-work at the outage (it comes within a second of the start), short to run again.
LONG_DELAY = 4


@pytest.mark.timeout(300)
def test_runtime_outage_mid_job(module_aws):
    # Step 4's jobs, some finished and some mid-work, when the whole runtime goes away (every session's
    # process ends, as in a redeploy or an outage) and comes back: the finished ones stay as they were,
    # the interrupted ones read JobLost within the lease, and resubmitting every key three times at once
    # runs each interrupted job once more and never a finished one again.
    spec, table = step4_jobs_runtime(module_aws, JOB_LEASE)
    settings = {"start_mode": "fork", "idle_timeout": 5.0, "stop_grace": 1.0}
    keys = {f"rel-{kind}-{n}-{uuid.uuid4()}": kind for kind in ("short", "long") for n in range(4)}

    def body(key):
        return {"prompt": {"a": len(key), "b": 1}, "mode": "async", "idempotency_key": key,
                "delay_seconds": 0 if keys[key] == "short" else LONG_DELAY}  # fmt: skip

    with AgentCoreLocal([spec], **settings) as before:
        jobs = {key: invoke_job(before, spec.arn, body(key))[1]["job_id"] for key in keys}
        poller = f"rel-poller-{uuid.uuid4()}"
        at_outage = wait_jobs(before, spec.arn, list(jobs.values()),
                              lambda v: v["status"] in ("SUCCEEDED", "RUNNING"), timeout=20, poller=poller)  # fmt: skip
    # The outage: every session ended with the data plane (SIGTERM, SIGKILL after the grace).
    with AgentCoreLocal([spec], **settings) as after:
        poller = f"rel-poller-{uuid.uuid4()}"
        seen = wait_jobs(after, spec.arn, list(jobs.values()), lambda v: v["status"] in ("SUCCEEDED", "FAILED"),
                         timeout=JOB_LEASE + 10, poller=poller)  # fmt: skip
        with ThreadPoolExecutor(24) as pool:
            resubmitted = list(
                pool.map(lambda key: (key, invoke_job(after, spec.arn, body(key))), list(keys) * 3)
            )
        done = wait_jobs(after, spec.arn, list(jobs.values()), lambda v: v["status"] == "SUCCEEDED",
                         timeout=60, poller=poller)  # fmt: skip

    for key, job_id in jobs.items():
        # The short jobs had finished, the long ones were mid-work, when the runtime went away.
        assert at_outage[job_id]["status"] == ("SUCCEEDED" if keys[key] == "short" else "RUNNING")
        if keys[key] == "short":
            assert (seen[job_id]["status"], done[job_id]["attempt"]) == ("SUCCEEDED", 1)
        else:
            assert (seen[job_id]["status"], seen[job_id]["error"]["code"]) == ("FAILED", "JobLost")
            assert done[job_id]["attempt"] == 2
    started = sorted((key, status) for key, (status, _) in resubmitted if status == 202)
    assert started == sorted((key, 202) for key, kind in keys.items() if kind == "long")
    assert all(status in (200, 202) for _, (status, _) in resubmitted)
    assert {answer["job_id"] for key, (_, answer) in resubmitted} == set(jobs.values())
    # What landed: one job record, one key item and exactly one result item per job, nothing else.
    results = [r for r in ddb_records(module_aws, table) if r.get("operation") == "sum"]
    assert sorted(r["id"] for r in results) == sorted(jobs.values())
    assert len(ddb_records(module_aws, table)) == 3 * len(jobs)


@pytest.mark.parametrize("step", SINK_STEPS)
def test_replayed_request_id_writes_one_record(module_aws, step):
    # Step 2 deduplicates on a FIFO queue (MessageDeduplicationId from the request id); a standard
    # queue is at-least-once by design, so its consumers deduplicate on request_id.
    # moto (5.2.5) deduplicates FIFO sends only against messages still in the queue, and checks
    # outside its lock: so nothing is received until the end, and step 2's replays go one at a time.
    # AWS deduplicates within 5 minutes whether or not the first message was consumed.
    env = step_env(module_aws, step, fifo=True)
    rid = str(uuid.uuid4())
    headers = {REQUEST_ID_HEADER: rid}

    def invoke(_: object = None) -> tuple[int, dict]:
        return server.invoke({"prompt": {"a": 1, "b": 2}}, headers=headers)

    with StepServer(step, env) as server:
        first = invoke()
        # Then the same request id again, eight times (the runtime retries, a client retries).
        with ThreadPoolExecutor(1 if step == "2_sqs_sink" else 8) as pool:
            replays = list(pool.map(invoke, range(8)))
        other = server.invoke({"prompt": {"a": 1, "b": 2}})
    collector = SqsCollector(module_aws, env["SQS_QUEUE_URL"], threads=0) if step == "2_sqs_sink" else None
    records = records_by_request_id(module_aws, step, env, collector)
    assert first[0] == 200
    assert response_request_id(step, first[1]) == rid
    for status, body in replays:
        assert status == 200, body
        assert response_request_id(step, body) == rid
        assert body["result"] == 3
    ids = [r for r, _ in records]
    assert sorted(ids) == sorted([rid, response_request_id(step, other[1])])
    if step == "4_dynamodb_sink":
        # A replay answers with the item stored first, not a new timestamp.
        assert {body["timestamp"] for _, body in replays} == {first[1]["timestamp"]}
