"""Step 6's event chain over real boto3 against its local world: PutEvents -> the rule -> the state machine
-> the starter Lambda -> step 4's async job on the local data plane -> DynamoDB polled until the job ends."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from commands.worlds import STEP4_RUNTIME_ARN, Step6World
from shared.runtime.sessions import derived_session_id
from tests.helpers import wait_until
from tests.local_cloud.events.helpers import history, task_errors, task_outputs
from tests.steps.step6.conftest import LEASE_SECONDS
from tests.steps.step6.helpers import (
    event_execution,
    failing_result_writes,
    finished,
    job_record,
    put_event,
    reads_of,
    result_items,
    start,
)

pytestmark = pytest.mark.xdist_group("step6")


def states_entered(step6: Step6World, arn: str) -> list[str]:
    sfn = step6.aws.client("stepfunctions")
    return [
        e["stateEnteredEventDetails"]["name"] for e in history(sfn, arn) if "stateEnteredEventDetails" in e
    ]


def test_an_event_runs_the_chain_to_its_result_written_once(step6: Step6World) -> None:
    sfn = step6.aws.client("stepfunctions")
    before = result_items(step6)
    event_id = put_event(step6, {"prompt": {"a": 7, "b": 2}})
    arn = event_execution(step6, event_id)
    described = finished(sfn, arn)
    output = json.loads(described["output"])
    new = {k: v for k, v in result_items(step6).items() if k not in before}

    assert described["status"] == "SUCCEEDED"
    assert output["result"] == 9 and output["event_id"] == event_id and output["status"] == "SUCCEEDED"
    # One item, keyed by the job id, with the result; the job's record says SUCCEEDED and points at it.
    assert list(new) == [output["job_id"]] and new[output["job_id"]]["result"] == "9"
    record = job_record(step6, output["job_id"])
    assert (record["status"], record["result_item_id"], record["idempotency_key"]) == (
        "SUCCEEDED", output["job_id"], f"event:{event_id}",
    )  # fmt: skip
    # The job ran in the session the event id names.
    assert record["session_id"] == derived_session_id("eventbridge-", event_id)
    entered = states_entered(step6, arn)
    assert entered[:4] == ["StartJob", "InitPolls", "WaitForJob", "GetJob"]
    assert entered[-2:] == ["JobSucceeded", "Done"]


@pytest.mark.parametrize(
    ("detail", "field"),
    [
        ({"prompt": {"a": "7", "b": 2}}, "detail.prompt.a"),
        ({"prompt": {"a": 7}}, "detail.prompt.b"),
        ({"nothing": True}, "detail.prompt"),
        ({"prompt": {"a": 7, "b": 2}, "mode": "sync"}, "detail.mode"),
        ({"prompt": {"a": 7, "b": 2}, "delay_seconds": -1}, "detail.delay_seconds"),
    ],
)
def test_a_bad_event_fails_naming_invalid_input_and_writes_nothing(
    step6: Step6World, detail: dict, field: str
) -> None:
    sfn = step6.aws.client("stepfunctions")
    items, invocations = result_items(step6), len(step6.plane.invocations)
    arn = event_execution(step6, put_event(step6, detail))
    described = finished(sfn, arn)
    cause = json.loads(described["cause"])

    assert (described["status"], described["error"]) == ("FAILED", "InvalidInput")
    assert cause["errorType"] == "InvalidInput" and cause["errorMessage"].startswith(
        f"{field.split('.')[0]}: "
    )
    assert field.split(".", 1)[1] in cause["errorMessage"]
    # Validated in the starter: no runtime call, no record.
    assert len(step6.plane.invocations) == invocations and result_items(step6) == items
    assert states_entered(step6, arn) == ["StartJob", "StartFailed"]


def test_a_redelivered_event_starts_no_second_job(step6: Step6World) -> None:
    sfn = step6.aws.client("stepfunctions")
    event_id = str(uuid.uuid4())
    first = start(step6, event_id, {"prompt": {"a": 20, "b": 22}})
    finished(sfn, first)
    second = start(step6, event_id, {"prompt": {"a": 20, "b": 22}})
    outputs = [json.loads(finished(sfn, arn)["output"]) for arn in (first, second)]
    session = derived_session_id("eventbridge-", event_id)
    calls = [i for i in step6.plane.invocations if i.session_id == session]

    assert outputs[0]["job_id"] == outputs[1]["job_id"] and {o["result"] for o in outputs} == {42}
    assert [k for k, v in result_items(step6).items() if v["result"] == "42"] == [outputs[0]["job_id"]]
    # The second submission reached the runtime, which answered with the job the first one started.
    assert [c.status for c in calls] == [202, 200]


def test_the_starter_s_runtime_error_is_the_execution_s_error(step6: Step6World) -> None:
    sfn = step6.aws.client("stepfunctions")
    step6.plane.inject("AccessDeniedException", 403, times=1)
    described = finished(sfn, start(step6, str(uuid.uuid4()), {"prompt": {"a": 1, "b": 1}}))
    assert (described["status"], described["error"]) == ("FAILED", "RuntimeAccessDenied")
    assert json.loads(described["cause"])["errorMessage"] == "the proxy may not invoke the runtime"


def test_a_failed_job_fails_the_execution_with_the_job_s_error_code(step6: Step6World) -> None:
    sfn = step6.aws.client("stepfunctions")
    with failing_result_writes("13") as failed:
        described = finished(sfn, start(step6, str(uuid.uuid4()), {"prompt": {"a": 13, "b": 1}}), timeout=60)
    assert failed  # the result write was attempted, and failed
    assert (described["status"], described["error"]) == ("FAILED", "SinkWriteFailed")
    assert "DynamoDB" in described["cause"]


def running_job(step6: Step6World, arn: str) -> str:
    """The job id of an execution once its job is RUNNING."""
    sfn = step6.aws.client("stepfunctions")

    def job_id() -> str | None:
        started = task_outputs(sfn, arn, "invoke")
        if not started:
            return None
        job = started[0]["Payload"]["job_id"]
        return job if job_record(step6, job).get("status") == "RUNNING" else None

    return str(wait_until(job_id, 30, "the job running"))


def test_a_cancelled_job_fails_the_execution(step6: Step6World) -> None:
    sfn = step6.aws.client("stepfunctions")
    arn = start(step6, str(uuid.uuid4()), {"prompt": {"a": 2, "b": 3}, "delay_seconds": 60})
    job = running_job(step6, arn)
    status, _, view = step6.plane.invoke(STEP4_RUNTIME_ARN, {"cancel_job": job}, f"canceller-{uuid.uuid4()}")
    described = finished(sfn, arn, timeout=30)
    assert (status, view["status"]) == (200, "CANCELLED")
    assert (described["status"], described["error"]) == ("FAILED", "JobCancelled")
    assert described["cause"] == f"job {job} was cancelled"


@pytest.mark.slow
def test_a_lost_job_fails_the_execution_within_one_lease(step6: Step6World) -> None:
    sfn = step6.aws.client("stepfunctions")
    event_id = str(uuid.uuid4())
    arn = start(step6, event_id, {"prompt": {"a": 2, "b": 3}, "delay_seconds": 60})
    job = running_job(step6, arn)
    assert step6.plane.kill(STEP4_RUNTIME_ARN, derived_session_id("eventbridge-", event_id))
    killed = time.monotonic()
    described = finished(sfn, arn, timeout=30)
    took = time.monotonic() - killed

    assert (described["status"], described["error"]) == ("FAILED", "JobLost")
    assert described["cause"].startswith(f"job {job} was lost: its runtime session ended")
    # The lease runs out at most one lease after the last heartbeat; the next poll (1 s) sees it.
    assert took <= LEASE_SECONDS + 1 + 2, took
    assert job_record(step6, job)["status"] == "RUNNING"  # as stored: readers see it lost


def test_polls_are_bounded(step6: Step6World) -> None:
    sfn = step6.aws.client("stepfunctions")
    arn = start(step6, str(uuid.uuid4()), {"prompt": {"a": 2, "b": 3}, "delay_seconds": 60}, max_polls=2)
    described = finished(sfn, arn, timeout=30)
    assert (described["status"], described["error"]) == ("FAILED", "JobPollTimeout")
    assert described["cause"].endswith("had not finished after 2 polls")
    assert len(task_outputs(sfn, arn, "getItem")) == 2


def test_the_poll_loop_waits_through_no_item_and_running_until_succeeded(step6: Step6World) -> None:
    sfn = step6.aws.client("stepfunctions")
    with reads_of("job#", hide=1) as happened:
        arn = start(step6, str(uuid.uuid4()), {"prompt": {"a": 5, "b": 6}, "delay_seconds": 3})
        described = finished(sfn, arn, timeout=40)
    reads = [
        o.get("Item", {}).get("status", {}).get("S", "no item") for o in task_outputs(sfn, arn, "getItem")
    ]

    assert happened == ["hidden"]
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"])["result"] == 11
    assert reads[0] == "no item" and "RUNNING" in reads and reads[-1] == "SUCCEEDED"
    # In that order: nothing yet, then running, then done.
    assert reads == ["no item", *["RUNNING"] * reads.count("RUNNING"), "SUCCEEDED"]


def test_dynamodb_throttling_is_retried_with_backoff(step6: Step6World) -> None:
    sfn = step6.aws.client("stepfunctions")
    with reads_of("job#", throttle=2) as happened:
        arn = start(step6, str(uuid.uuid4()), {"prompt": {"a": 1, "b": 1}})
        described = finished(sfn, arn, timeout=40)

    assert happened == ["throttled", "throttled"]
    assert task_errors(sfn, arn) == ["DynamoDB.ProvisionedThroughputExceededException"] * 2
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"])["result"] == 2
