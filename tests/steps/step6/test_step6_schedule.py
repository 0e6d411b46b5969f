"""Step 6's schedule: no Lambda, EventBridge Scheduler calls InvokeAgentRuntime itself. moto never fires a
schedule; the local world fires it on demand, as Scheduler would (rendered, checked, retried, dead-lettered)."""

from __future__ import annotations

import json

import pytest

from commands.worlds import Step6World
from tests.helpers import wait_until
from tests.local_cloud.events.helpers import drain

pytestmark = pytest.mark.xdist_group("step6")


def scheduled_jobs(step6: Step6World) -> list[dict]:
    items = step6.aws.client("dynamodb").scan(TableName=step6.resources.table_name, ConsistentRead=True)[
        "Items"
    ]
    return [
        {k: next(iter(v.values())) for k, v in item.items()}
        for item in items
        if item.get("item_type", {}).get("S") == "job"
        and item["idempotency_key"]["S"].startswith("schedule:")
    ]


def test_the_schedule_starts_a_job_keyed_by_its_occurrence(step6: Step6World) -> None:
    before = {job["job_id"] for job in scheduled_jobs(step6)}
    fired = step6.events.fire_schedule(step6.names()["schedule_name"])
    [job] = wait_until(
        lambda: [
            j for j in scheduled_jobs(step6) if j["job_id"] not in before and j["status"] == "SUCCEEDED"
        ],
        30,
        "the scheduled job",
    )
    stack = step6.deployment.stack_name
    assert (fired.ok, fired.attempts) == (True, 1)
    assert job["result"] == "3" and job["idempotency_key"].startswith(f"schedule:{stack}:")
    # Its session: the occurrence's, 33 characters or more.
    occurrence = job["idempotency_key"].rsplit(":", 3)[-3:]
    assert (
        job["session_id"] == f"scheduled-job-{stack}-{':'.join(occurrence)}" and len(job["session_id"]) >= 33
    )


def test_a_throttled_schedule_is_retried_then_dead_lettered(step6: Step6World) -> None:
    step6.plane.inject("ThrottlingException", 429, times=4)
    fired = step6.events.fire_schedule(step6.names()["schedule_name"])
    [dead] = drain(step6.aws.client("sqs"), step6.names()["delivery_dlq_url"], 1)
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}

    # RetryPolicy MaximumRetryAttempts 3: four attempts, then the dead-letter queue; the body is the Input.
    assert (fired.ok, fired.attempts, fired.dead_lettered) == (False, 4, True)
    assert (attributes["ERROR_CODE"], attributes["ATTEMPTS"]) == ("ThrottlingException", "4")
    assert json.loads(dead["Body"])["AgentRuntimeArn"] == step6.names()["runtime_arn"]
