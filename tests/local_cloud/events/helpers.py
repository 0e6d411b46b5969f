"""Helpers for the events world's tests: executions waited for, their history read, queues read back."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.helpers import wait_until

FINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


def finished(sfn: Any, execution_arn: str, timeout: float = 60) -> dict[str, Any]:
    """describe_execution once the execution has ended."""

    def done() -> dict[str, Any] | None:
        described = sfn.describe_execution(executionArn=execution_arn)
        return described if described["status"] in FINAL else None

    return wait_until(done, timeout, f"execution {execution_arn}", every=0.1)


def history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    """Every event of an execution's history."""
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events += page["events"]
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def task_outputs(sfn: Any, execution_arn: str, resource: str) -> list[Any]:
    """The parsed output of every succeeded task of one resource (e.g. getItem), in order."""
    outputs = []
    for event in history(sfn, execution_arn):
        details = event.get("taskSucceededEventDetails")
        if details and details.get("resource") == resource:
            outputs.append(json.loads(details["output"]))
    return outputs


def task_errors(sfn: Any, execution_arn: str) -> list[str]:
    """The error of every failed task attempt, in order."""
    return [
        e["taskFailedEventDetails"]["error"]
        for e in history(sfn, execution_arn)
        if "taskFailedEventDetails" in e
    ]


def drain(sqs: Any, queue_url: str, expected: int, timeout: float = 30) -> list[dict[str, Any]]:
    """Receive (and keep invisible for a minute) until `expected` messages have come, or fail."""
    got: dict[str, dict[str, Any]] = {}

    def enough() -> bool:
        for message in sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=60,
            AttributeNames=["All"], MessageAttributeNames=["All"],
        ).get("Messages", []):  # fmt: skip
            got[message["MessageId"]] = message
        return len(got) >= expected

    wait_until(enough, timeout, f"{expected} messages in {queue_url}", every=0.2)
    return list(got.values())


def settle(seconds: float) -> None:
    """Let the pollers run on (what must not happen, given the time to happen)."""
    time.sleep(seconds)
