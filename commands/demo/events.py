"""Step 6 in `make demo`: an event put on the step's bus runs the state machine (starter Lambda, step 4's
async job, DynamoDB polled) to its result; an SQS batch with one bad message lands four records and leaves one
message in the dead-letter queue; the schedule, fired on demand, starts a job without any Lambda.

`serve-local 6_event_sources` keeps the same world up for your own `aws events put-events` and
`aws sqs send-message` calls.
"""

from __future__ import annotations

import json
import time
from typing import Any

from local_cloud.aws import EmbeddedAws
from shared.jobs.model import key_item_id

from ..worlds import Resources, Step6Timings, Step6World, step6_world
from .rows import Row

STEP = "6_event_sources"
# How long the demo waits for the chain and for the queue before calling it a failure.
SETTLE_SECONDS = 40.0
# A batch of five job requests, the third not one (its "a" is a string).
BATCH = [{"prompt": {"a": n, "b": n}} for n in (1, 2)] + [{"prompt": {"a": "three", "b": 3}}]
BATCH += [{"prompt": {"a": n, "b": n}} for n in (4, 5)]
# The bad message is in the dead-letter queue after its second receive; 5 s for a batch leaves room for a
# loaded machine (a batch that timed out would come back whole).
TIMINGS = Step6Timings(consumer_timeout=5, visibility_timeout=5, max_receive_count=2, job_wait_seconds=3)


def _item(world: Step6World, item_id: str) -> dict[str, Any]:
    got = world.aws.client("dynamodb").get_item(
        TableName=world.resources.table_name, Key={"id": {"S": item_id}}, ConsistentRead=True
    )
    return {k: next(iter(v.values())) for k, v in got.get("Item", {}).items()}


def _until(check: Any, timeout: float = SETTLE_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def _event_row(world: Step6World) -> Row:
    names = world.names()
    sfn = world.aws.client("stepfunctions")
    detail = {"prompt": {"a": 7, "b": 2}}
    sent = world.aws.client("events").put_events(
        Entries=[{"EventBusName": names["event_bus_name"], "Source": names["event_source"],
                  "DetailType": names["event_detail_type"], "Detail": json.dumps(detail)}]
    )  # fmt: skip
    event_id = sent["Entries"][0]["EventId"]
    delivered = _until(lambda: [d for d in world.events.deliveries() if d.event_id == event_id])
    arn = delivered[0].execution_arn if delivered else None

    def ended() -> dict[str, Any] | None:
        described = sfn.describe_execution(executionArn=arn)
        return None if described["status"] == "RUNNING" else dict(described)

    described: dict[str, Any] = (_until(ended) or {}) if arn else {}
    output = json.loads(described.get("output") or "{}")
    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"] if arn else []
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    item = _item(world, output["item_id"]) if output.get("item_id") else {}
    ok = (
        described.get("status") == "SUCCEEDED"
        and output.get("result") == 9
        and item.get("result") == "9"
        and entered[:2] == ["StartJob", "InitPolls"]
    )
    shown = f"aws events put-events ... Detail={json.dumps(detail)} (event {event_id[:8]}..)"
    response = (
        f"execution {described.get('status')}: {' > '.join(entered)}; output result {output.get('result')}"
    )
    return Row(f"{STEP} (EventBridge)", shown, response, f"DynamoDB: {item}", ok)


def _queue_row(world: Step6World, message_ids: list[str]) -> Row:
    sqs = world.aws.client("sqs")
    ddb = world.aws.client("dynamodb")

    def job_of(message_id: str) -> str | None:
        key = {"id": {"S": key_item_id(None, f"sqs:{message_id}")}}
        got = ddb.get_item(TableName=world.resources.table_name, Key=key, ConsistentRead=True).get("Item")
        return got["job_id"]["S"] if got else None

    good = [m for n, m in enumerate(message_ids) if n != 2]

    def settled() -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        items = {m: _item(world, job) for m in good if (job := job_of(m))}
        dead = sqs.receive_message(QueueUrl=world.dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=0).get(
            "Messages", []
        )
        return (items, dead) if len(items) == 4 and all(items.values()) and dead else None

    items, dead = _until(settled) or ({}, [])
    results = sorted(int(item["result"]) for item in items.values())
    batches = [f"{b.outcome} ({len(b.message_ids)})" for p in world.deployment.pollers for b in p.batches]
    ok = results == [2, 4, 8, 10] and [json.loads(m["Body"]) for m in dead] == [BATCH[2]]
    return Row(
        f"{STEP} (SQS)",
        f"aws sqs send-message-batch: {len(BATCH)} job requests, the third bad",
        f"batches: {', '.join(batches)}",
        f"{len(items)} records (results {results}); dead-letter queue: {[m['Body'] for m in dead]}",
        ok,
    )


def _schedule_row(world: Step6World) -> Row:
    name = world.names()["schedule_name"]
    started = time.time()
    fired = world.events.fire_schedule(name)

    def job() -> dict[str, Any] | None:
        items = world.aws.client("dynamodb").scan(TableName=world.resources.table_name, ConsistentRead=True)
        for item in items["Items"]:
            key = item.get("idempotency_key", {}).get("S", "")
            if key.startswith("schedule:") and item["status"]["S"] == "SUCCEEDED":
                return {k: next(iter(v.values())) for k, v in item.items()}
        return None

    record = _until(job) or {}
    ok = fired.ok and record.get("result") == "3"
    return Row(
        f"{STEP} (Scheduler)",
        f"schedule {name} fired ({time.time() - started:.1f} s): InvokeAgentRuntime, no Lambda",
        f"attempts {fired.attempts}; the response is never read",
        f"job {record.get('job_id')} {record.get('status')} result {record.get('result')} "
        f"(key {record.get('idempotency_key')})",
        ok,
    )


def run_events_demo(aws: EmbeddedAws, resources: Resources) -> list[Row]:
    """Run step 6 on the given embedded AWS and sinks (its own data plane for step 4); return the rows."""
    with step6_world(TIMINGS, aws=aws, resources=resources) as world:
        print(f"  {STEP}: bus {world.names()['event_bus_name']}, queue and state machine from its template")
        sent = world.aws.client("sqs").send_message_batch(
            QueueUrl=world.queue_url,
            Entries=[{"Id": str(n), "MessageBody": json.dumps(body)} for n, body in enumerate(BATCH)],
        )
        message_ids = [e["MessageId"] for e in sorted(sent["Successful"], key=lambda e: int(e["Id"]))]
        rows = [_event_row(world), _queue_row(world, message_ids), _schedule_row(world)]
    return rows
