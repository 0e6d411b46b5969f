"""An SQS event source mapping run as Lambda's poller runs it (with-sqs.html, services-sqs-errorhandling.html,
services-sqs-configure.html in the Lambda guide, read 2026-12-02):

- a batch is up to BatchSize messages, gathered for up to MaximumBatchingWindowInSeconds (0: invoke as soon
  as a message is there; the next window begins when the previous invocation completes), at most 6 MB;
- received messages stay in the queue, invisible for the queue's own visibility timeout;
- the function is invoked synchronously, once per batch;
- a function error (or a timeout) deletes nothing: the whole batch comes back after the visibility timeout;
- success without ReportBatchItemFailures deletes the batch; with it, every message except those the
  response names in batchItemFailures[].itemIdentifier. An empty or null list, or an empty or null
  response, is complete success; an entry without a usable itemIdentifier (missing, null, empty, or not an
  id of the batch) makes the whole batch a failure;
- the dead-letter queue is SQS's own redrive (maxReceiveCount), not the poller's.

Not modelled: scaling out to more pollers and backing off after errors (one poller, one batch at a time),
FIFO message groups, filter criteria, maximum concurrency.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Batch", "SqsPoller", "failed_ids"]

MAX_BATCH_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True)
class Batch:
    """One invocation of the poller: the messages it carried and what became of them."""

    message_ids: tuple[str, ...]
    receive_counts: tuple[int, ...]
    outcome: str  # "success", "partial", "function error", "invalid response"
    deleted: tuple[str, ...]
    at: float = field(default_factory=time.time)


def failed_ids(response: bytes, batch_ids: set[str]) -> set[str] | None:
    """The ids a ReportBatchItemFailures response names; None when the response fails the whole batch."""
    try:
        document = json.loads(response or b"null")
    except ValueError:
        return None
    if not document:
        return set()  # null, {} or "": complete success
    if not isinstance(document, dict):
        return None
    items = document.get("batchItemFailures")
    if not items:
        return set()  # absent, null or []: complete success
    if not isinstance(items, list):
        return None
    failed = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or identifier not in batch_ids:
            return None
        failed.add(identifier)
    return failed


class SqsPoller(threading.Thread):
    """One SQS event source mapping, polled in a daemon thread until stop()."""

    def __init__(self, sqs: Any, lambda_client: Any, mapping: dict[str, Any], long_poll_seconds: int = 1):
        super().__init__(name=f"sqs-poller-{mapping['UUID'][:8]}", daemon=True)
        self._sqs = sqs
        self._lambda = lambda_client
        self.mapping_id = mapping["UUID"]
        self.function_arn = mapping["FunctionArn"]
        self.queue_arn = mapping["EventSourceArn"]
        _, _, _, self.region, account, name = self.queue_arn.split(":")
        self.queue_url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        self.batch_size = int(mapping.get("BatchSize") or 10)
        self.window = float(mapping.get("MaximumBatchingWindowInSeconds") or 0)
        self.report_failures = "ReportBatchItemFailures" in (mapping.get("FunctionResponseTypes") or [])
        # The real poller long-polls for 20 s; a shorter wait keeps stop() prompt and changes nothing else.
        self._long_poll = long_poll_seconds
        self._stopping = threading.Event()
        self._window_start = time.monotonic()
        self._lock = threading.Lock()
        self._batches: list[Batch] = []
        self.errors: list[str] = []

    @property
    def batches(self) -> list[Batch]:
        """The batches so far (a copy)."""
        with self._lock:
            return list(self._batches)

    def run(self) -> None:
        """Poll, invoke, delete, until stopped; an error of the poller itself is kept and polling goes on."""
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # the service's poller keeps polling; the error is kept for readers
                self.errors.append(repr(exc))
                self._stopping.wait(0.5)

    def stop(self) -> None:
        """Stop polling (the batch in flight finishes first)."""
        self._stopping.set()
        if self.is_alive():
            self.join(timeout=60)

    def poll_once(self) -> Batch | None:
        """Gather one batch, invoke the function with it, delete what succeeded."""
        messages = self._gather()
        if not messages:
            return None
        event = {"Records": [self._record(m) for m in messages]}
        response = self._lambda.invoke(
            FunctionName=self.function_arn,
            InvocationType="RequestResponse",
            Payload=json.dumps(event).encode(),
        )
        payload = response["Payload"].read()
        ids = [m["MessageId"] for m in messages]
        if response.get("FunctionError"):
            done, outcome = [], "function error"
        elif not self.report_failures:
            done, outcome = messages, "success"
        else:
            failed = failed_ids(payload, set(ids))
            if failed is None:
                done, outcome = [], "invalid response"
            else:
                done = [m for m in messages if m["MessageId"] not in failed]
                outcome = "partial" if failed else "success"
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(chunk)],
            )
        batch = Batch(
            tuple(ids),
            tuple(int(m["Attributes"]["ApproximateReceiveCount"]) for m in messages),
            outcome,
            tuple(m["MessageId"] for m in done),
        )
        with self._lock:
            self._batches.append(batch)
        self._window_start = time.monotonic()  # the next window begins when this invocation completes
        return batch

    def _gather(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        size = 0
        deadline = self._window_start + self.window
        while not self._stopping.is_set() and len(batch) < self.batch_size and size < MAX_BATCH_BYTES:
            left = deadline - time.monotonic()
            if batch and left <= 0:
                break
            got = self._sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, self.batch_size - len(batch)),
                WaitTimeSeconds=0 if batch else self._long_poll,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            for message in got:
                size += len(message["Body"].encode("utf-8"))
                batch.append(message)
            if not batch:
                self._window_start = time.monotonic()  # nothing yet: the window starts with the first message
                return batch
            if not got:
                # Within the window: look again shortly (a zero-second receive), until it closes.
                self._stopping.wait(min(0.1, max(0.0, deadline - time.monotonic())))
        return batch

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes = {}
        for name, value in message.get("MessageAttributes", {}).items():
            attribute: dict[str, Any] = {
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            if "StringValue" in value:
                attribute["stringValue"] = value["StringValue"]
            if "BinaryValue" in value:
                attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
            attributes[name] = attribute
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": attributes,
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }
