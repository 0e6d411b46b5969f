"""Step 6's queue over real boto3 against its local world: SQS -> the event source mapping (Lambda's poller)
-> the Powertools consumer -> step 4's async jobs, one per message id."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from commands.worlds import Step6World
from shared.jobs.model import key_item_id
from shared.runtime.sessions import derived_session_id
from tests.helpers import wait_until
from tests.local_cloud.events.helpers import drain
from tests.steps.step6.helpers import failing_result_writes, job_record, result_items

pytestmark = pytest.mark.xdist_group("step6")


def job_of(step6: Step6World, message_id: str) -> str | None:
    """The job a message's id keys (its key item), once there is one."""
    ddb = step6.aws.client("dynamodb")
    key = {"id": {"S": key_item_id(None, f"sqs:{message_id}")}}
    item = ddb.get_item(TableName=step6.resources.table_name, Key=key, ConsistentRead=True).get("Item")
    return item["job_id"]["S"] if item else None


def send(step6: Step6World, bodies: list[Any]) -> list[str]:
    entries = [
        {"Id": str(n), "MessageBody": body if isinstance(body, str) else json.dumps(body)}
        for n, body in enumerate(bodies)
    ]
    sent = step6.aws.client("sqs").send_message_batch(QueueUrl=step6.queue_url, Entries=entries)
    return [entry["MessageId"] for entry in sorted(sent["Successful"], key=lambda e: int(e["Id"]))]


def landed(step6: Step6World, message_ids: list[str], timeout: float = 40) -> dict[str, dict[str, Any]]:
    """Each message's result item, once every one has landed."""

    def all_there() -> dict[str, dict[str, Any]] | None:
        items = result_items(step6)
        jobs = {m: job_of(step6, m) for m in message_ids}
        if all(job in items for job in jobs.values()):
            return {m: items[str(job)] for m, job in jobs.items()}
        return None

    return wait_until(all_there, timeout, "every message's record", every=0.3)


def test_a_message_lands_one_record(step6: Step6World) -> None:
    [message] = send(step6, [{"prompt": {"a": 1, "b": 2}}])
    [item] = landed(step6, [message]).values()
    record = job_record(step6, item["id"])
    assert item["result"] == "3"
    assert (record["status"], record["idempotency_key"]) == ("SUCCEEDED", f"sqs:{message}")
    assert record["session_id"] == derived_session_id("sqs-message-", message)


@pytest.mark.slow
def test_a_batch_with_poison_a_throttled_call_and_a_slow_job_lands_each_record_once(
    step6: Step6World,
) -> None:
    sqs = step6.aws.client("sqs")
    run = uuid.uuid4().hex[:8]
    poison = json.dumps({"prompt": {"a": "one", "b": 2}, "run": run})
    bodies: list[Any] = [
        {"prompt": {"a": 101, "b": 1}},
        # Outlives the consumer's wait (2 s): reported failed, delivered again, found by its key.
        {"prompt": {"a": 102, "b": 1}, "delay_seconds": 4},
        poison,
        {"prompt": {"a": 103, "b": 1}},
    ]
    before = set(result_items(step6))
    invoked = len(step6.plane.invocations)
    # The first submission the runtime sees is throttled on each of the consumer's 3 attempts: that message
    # fails and comes back.
    step6.plane.inject("ThrottlingException", 429, times=3)
    ids = send(step6, bodies)
    good = [ids[0], ids[1], ids[3]]
    items = landed(step6, good, timeout=60)
    [dead] = drain(sqs, step6.dlq_url, 1, timeout=40)
    new = set(result_items(step6)) - before
    calls = step6.plane.invocations[invoked:]

    assert {m: items[m]["result"] for m in good} == {ids[0]: "102", ids[1]: "103", ids[3]: "104"}
    # Exactly one record per good message, however often it was delivered.
    assert new == {items[m]["id"] for m in good}
    assert dead["Body"] == poison and int(dead["Attributes"]["ApproximateReceiveCount"]) >= 4
    # Three throttled attempts (botocore's), whichever message's submission they fell on.
    assert [c.error_code for c in calls].count("ThrottlingException") == 3
    slow = [c.status for c in calls if c.session_id == derived_session_id("sqs-message-", ids[1])]
    answered = [status for status in slow if status != 429]
    assert answered[0] == 202 and 200 in answered[1:]  # a later delivery found the job an earlier one started
    # The poison message never reached the runtime: the consumer refused it itself.
    assert all(job_of(step6, m) for m in good) and job_of(step6, ids[2]) is None
    attributes = sqs.get_queue_attributes(QueueUrl=step6.queue_url, AttributeNames=["All"])["Attributes"]
    assert (
        attributes["ApproximateNumberOfMessages"],
        attributes["ApproximateNumberOfMessagesNotVisible"],
    ) == ("0", "0")


@pytest.mark.slow
def test_a_message_whose_job_fails_ends_in_the_dead_letter_queue(step6: Step6World) -> None:
    sqs = step6.aws.client("sqs")
    with failing_result_writes("17"):
        [message] = send(step6, [{"prompt": {"a": 17, "b": 1}}])
        dead = wait_until(
            lambda: [m for m in drain(sqs, step6.dlq_url, 1, timeout=40) if m["MessageId"] == message],
            45,
            "the message in the DLQ",
        )
    job = job_of(step6, message)
    assert job is not None and job_record(step6, job)["status"] == "FAILED"
    assert job_record(step6, job)["error_code"] == "SinkWriteFailed" and job not in result_items(step6)
    assert json.loads(dead[0]["Body"]) == {"prompt": {"a": 17, "b": 1}}
