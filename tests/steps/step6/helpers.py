"""Helpers for step 6's tests: events put and their executions found, items read back, and faults on the
embedded AWS's own side (moto runs in this process): reads of one record hidden or throttled, writes of
one result failing."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from commands.worlds import Step6World
from tests.helpers import wait_until
from tests.local_cloud.events.helpers import finished

__all__ = [
    "event_execution",
    "failing_result_writes",
    "finished",
    "job_record",
    "put_event",
    "reads_of",
    "result_items",
    "start",
]


def put_event(world: Step6World, detail: dict[str, Any]) -> str:
    """PutEvents on the step's bus, as the interface has it; the event's id."""
    names = world.names()
    sent = world.aws.client("events").put_events(
        Entries=[
            {
                "EventBusName": names["event_bus_name"],
                "Source": names["event_source"],
                "DetailType": names["event_detail_type"],
                "Detail": json.dumps(detail),
            }
        ]
    )
    assert sent["FailedEntryCount"] == 0, sent
    return str(sent["Entries"][0]["EventId"])


def event_execution(world: Step6World, event_id: str) -> str:
    """The ARN of the one execution the event started (its input names the event)."""
    sfn = world.aws.client("stepfunctions")

    def started() -> list[str]:
        executions = sfn.list_executions(stateMachineArn=world.state_machine_arn)["executions"]
        return [
            e["executionArn"]
            for e in executions
            if json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"]).get("event_id")
            == event_id
        ]

    [arn] = wait_until(started, 10, f"the execution of event {event_id}")
    return arn


def start(world: Step6World, event_id: str, detail: dict[str, Any], **bounds: int) -> str:
    """StartExecution with the input the rule builds (poll_seconds and max_polls as given, else the world's)."""
    document = {"event_id": event_id, "detail": detail, "poll_seconds": 1, "max_polls": 60, **bounds}
    started = world.aws.client("stepfunctions").start_execution(
        stateMachineArn=world.state_machine_arn, input=json.dumps(document)
    )
    return str(started["executionArn"])


def result_items(world: Step6World) -> dict[str, dict[str, Any]]:
    """Every result item of the step 4 table (not job records), by id."""
    ddb = world.aws.client("dynamodb")
    items: dict[str, dict[str, Any]] = {}
    kwargs: dict[str, Any] = {"TableName": world.resources.table_name, "ConsistentRead": True}
    while True:
        page = ddb.scan(**kwargs)
        for item in page["Items"]:
            if "item_type" not in item:
                items[item["id"]["S"]] = {k: next(iter(v.values())) for k, v in item.items()}
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def job_record(world: Step6World, job_id: str) -> dict[str, Any]:
    """A job's record as stored ({} if none)."""
    got = world.aws.client("dynamodb").get_item(
        TableName=world.resources.table_name, Key={"id": {"S": f"job#{job_id}"}}, ConsistentRead=True
    )
    return {k: next(iter(v.values())) for k, v in got.get("Item", {}).items()}


@contextmanager
def reads_of(key_prefix: str, hide: int = 0, throttle: int = 0) -> Iterator[list[str]]:
    """The next GetItem calls for ids starting with `key_prefix`: the first `hide` find nothing, the next
    `throttle` are throttled (ProvisionedThroughputExceededException). Yields what happened. (The API call
    only: moto's writes read items through its backend, which stays as it is.)"""
    from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    happened: list[str] = []
    lock = threading.Lock()
    original = DynamoHandler.get_item

    def get_item(self: Any) -> Any:
        key = self.body.get("Key", {}).get("id", {}).get("S")
        if isinstance(key, str) and key.startswith(key_prefix):
            with lock:
                done = len(happened)
                if done < hide + throttle:
                    happened.append("hidden" if done < hide else "throttled")
                    if done < hide:
                        return DynamoResult({})
                    raise DynamodbException(
                        ERROR_TYPE_PREFIX + "ProvisionedThroughputExceededException",
                        "The level of configured provisioned throughput for the table was exceeded.",
                    )
        return original(self)

    DynamoHandler.get_item = get_item  # type: ignore[method-assign]
    try:
        yield happened
    finally:
        DynamoHandler.get_item = original  # type: ignore[method-assign]


@contextmanager
def failing_result_writes(input_a: str) -> Iterator[list[float]]:
    """Every put of a result item whose input_a is `input_a` fails (InternalServerError): the job fails."""
    from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException
    from moto.dynamodb.models import DynamoDBBackend

    failed: list[float] = []
    original = DynamoDBBackend.put_item

    def put_item(self: Any, table_name: str, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if "item_type" not in item_attrs and item_attrs.get("input_a", {}).get("N") == input_a:
            failed.append(time.time())
            raise DynamodbException(ERROR_TYPE_PREFIX + "InternalServerError", "injected by the test")
        return original(self, table_name, item_attrs, *args, **kwargs)

    DynamoDBBackend.put_item = put_item  # type: ignore[method-assign]
    try:
        yield failed
    finally:
        DynamoDBBackend.put_item = original  # type: ignore[method-assign]
