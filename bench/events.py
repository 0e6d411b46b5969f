"""Section 9: step 6's local world: the event chain's latency and the queue path's throughput.

The chain: PutEvents to the execution's SUCCEEDED (rule, state machine, starter Lambda, step 4's async job,
one-second polls of its record), against the floor of the same job submitted straight to the runtime and
its record read every 50 ms. The queue: 100 messages sent at once, records landed per second until the
last, none duplicated, against the floor of the same 100 jobs submitted one after another straight to the
runtime (what the consumer does, without SQS and Lambda). Everything runs on this machine: moto, the
functions' environments, step 4's sessions (fork start mode).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from commands.worlds import STEP4_RUNTIME_ARN, Step6Timings, Step6World, step6_world
from harness.waiting import wait_until
from shared.jobs.model import key_item_id

from .context import Context
from .report import Section, Spread, Target

TITLE = "9. Step 6 locally: event to result (one-second polls), and queue throughput (100 messages)"
MESSAGES = 100
# A short run (`--duration` under a second, as the README's check runs it) sends fewer: the same path.
SHORT_RUN_MESSAGES, SHORT_RUN_FLOOR_JOBS = 20, 5
# The floor's jobs per round: enough for a rate, few enough to keep the section short.
FLOOR_JOBS = 20
# The chain waits at least one poll; it may add up to one more, and a second of its own.
ADDED_GOAL_SECONDS = 2.0
# Long enough that a batch of ten never times out on a loaded machine (a timeout would redeliver it).
TIMINGS = Step6Timings(consumer_timeout=20, visibility_timeout=20, job_wait_seconds=15)


def _record(world: Step6World, key: str) -> dict[str, Any]:
    got = world.aws.client("dynamodb").get_item(
        TableName=world.resources.table_name, Key={"id": {"S": key}}, ConsistentRead=True
    )
    return {k: next(iter(v.values())) for k, v in got.get("Item", {}).items()}


def _direct_job(world: Step6World, a: int) -> None:
    """Submit one async job straight to the runtime and read its record until it SUCCEEDED."""
    key = f"bench-direct-{uuid.uuid4()}"
    status, _, job = world.plane.invoke(
        STEP4_RUNTIME_ARN,
        {"prompt": {"a": a, "b": 1}, "mode": "async", "idempotency_key": key},
        f"bench-direct-session-{uuid.uuid4()}",
    )
    if status != 202:
        raise RuntimeError(f"the runtime answered {status}: {job}")
    wait_until(
        lambda: _record(world, f"job#{job['job_id']}").get("status") == "SUCCEEDED", 30, "a direct job"
    )


def _chain(world: Step6World, a: int) -> float:
    names = world.names()
    sfn = world.aws.client("stepfunctions")
    t0 = time.perf_counter()
    detail = json.dumps({"prompt": {"a": a, "b": 1}})
    sent = world.aws.client("events").put_events(
        Entries=[{"EventBusName": names["event_bus_name"], "Source": names["event_source"],
                  "DetailType": names["event_detail_type"], "Detail": detail}]
    )  # fmt: skip
    event_id = sent["Entries"][0]["EventId"]
    [delivery] = wait_until(
        lambda: [d for d in world.events.deliveries() if d.event_id == event_id], 10, "delivery"
    )

    def ended() -> dict[str, Any] | None:
        described = sfn.describe_execution(executionArn=delivery.execution_arn)
        return None if described["status"] == "RUNNING" else dict(described)

    described = wait_until(ended, 60, "the execution")
    took = time.perf_counter() - t0
    if described["status"] != "SUCCEEDED" or json.loads(described["output"])["result"] != a + 1:
        raise RuntimeError(f"the execution ended {described['status']}: {described.get('cause')}")
    return took


def _latency(ctx: Context, world: Step6World, section: Section) -> None:
    _chain(world, 0)  # the functions' environments start on their first invocation: not measured
    chain: list[float] = []
    direct: list[float] = []
    for n in range(ctx.rounds):
        chain.append(_chain(world, n))
        t0 = time.perf_counter()
        _direct_job(world, n)
        direct.append(time.perf_counter() - t0)
    added = Spread.of([c - d for c, d in zip(chain, direct, strict=True)])
    section.rows.append(
        ["event to SUCCEEDED (s)", Spread.of(chain).fmt(2), f"{max(chain):.2f}", Spread.of(direct).fmt(3)]
    )
    section.targets.append(
        Target(
            "event chain: added to the job's own time (one-second polls)",
            f"{added.median:.2f} s (worst {max(c - d for c, d in zip(chain, direct, strict=True)):.2f} s)",
            f"<= {ADDED_GOAL_SECONDS} s",
            added.median <= ADDED_GOAL_SECONDS,
        )
    )


def _throughput(world: Step6World, messages: int) -> tuple[float, int]:
    """`messages` sent at once: seconds until the last was done (deleted by the poller once its record
    landed), and how many records landed for them."""
    sqs, ddb = world.aws.client("sqs"), world.aws.client("dynamodb")
    [poller] = world.deployment.pollers
    already = {m for batch in poller.batches for m in batch.deleted}
    t0 = time.perf_counter()
    ids: list[str] = []
    for start in range(0, messages, 10):
        sent = sqs.send_message_batch(
            QueueUrl=world.queue_url,
            Entries=[
                {"Id": str(n), "MessageBody": json.dumps({"prompt": {"a": start + n, "b": 1}})}
                for n in range(10)
            ],
        )
        ids += [entry["MessageId"] for entry in sent["Successful"]]
    # Watched in this process (the poller's record), so the watching adds no load to the embedded AWS.
    wait_until(
        lambda: set(ids) <= {m for b in poller.batches for m in b.deleted} - already, 300, "every message"
    )
    took = time.perf_counter() - t0
    # None duplicated: exactly one result item per message (each message's job, from its key item).
    jobs = {_record(world, key_item_id(None, f"sqs:{message}"))["job_id"] for message in ids}
    landed = sum(
        1
        for page in ddb.get_paginator("scan").paginate(
            TableName=world.resources.table_name, ConsistentRead=True
        )
        for item in page["Items"]
        if "item_type" not in item and item["id"]["S"] in jobs
    )
    return took, landed if len(jobs) == len(ids) else -1


def run(ctx: Context) -> Section:
    section = Section(
        TITLE, columns=["measure", "median (min-max)", "worst", "floor: straight to the runtime"]
    )
    short = ctx.duration < 1
    messages, floor_jobs = (SHORT_RUN_MESSAGES, SHORT_RUN_FLOOR_JOBS) if short else (MESSAGES, FLOOR_JOBS)
    with step6_world(TIMINGS) as world:
        _latency(ctx, world, section)
        rounds = max(1, ctx.rounds // 3)
        rates: list[float] = []
        floors: list[float] = []
        for _ in range(rounds):
            took, landed = _throughput(world, messages)
            if landed != messages:
                raise RuntimeError(f"{landed} records for {messages} messages")
            rates.append(messages / took)
            t0 = time.perf_counter()
            for n in range(floor_jobs):
                _direct_job(world, n)
            floors.append(floor_jobs / (time.perf_counter() - t0))
    section.rows.append(
        [f"queue: records/s ({messages} messages)", Spread.of(rates).fmt(1), f"{min(rates):.1f}",
         Spread.of(floors).fmt(1)]
    )  # fmt: skip
    share = Spread.of([r / f for r, f in zip(rates, floors, strict=True)])
    section.targets.append(
        Target("queue: records/s over the floor's jobs/s", share.fmt(2, "x"), "reported", None)
    )
    section.notes.append(
        "Each message's job is a runtime session of its own, and a session's start is CPU (a fork and "
        "the app's server starting, about 0.2 s here): on 2 shared cores that, not the consumer, bounds the "
        "queue's rate, and the floor's."
    )
    section.notes.append(
        f"{ctx.rounds} events, one at a time (after one not measured: the functions' cold starts); "
        f"{rounds} round(s) of {messages} messages sent in batches of 10, every record exactly once "
        "(counted in the table). One poller and one consumer environment, batches of up to 10 with a 1 s "
        "window; each message's job is a step 4 session of its own (fork start mode), and the consumer "
        f"waits for it by reading the job's record. The floor submits {floor_jobs} such jobs one after "
        "another and reads their records every 50 ms."
    )
    return section
