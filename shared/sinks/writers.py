"""Writers for SQS, S3 and DynamoDB: each takes its client and resource, has one public method."""

from __future__ import annotations

import logging
from typing import Any

from ..aws.dynamodb import put_once
from ..aws.errors import translate_errors
from ..core.errors import SinkWriteFailed
from ..core.jsonnum import dumps_exact
from ..core.records import SumRecord, stable_token

__all__ = ["DynamoDbWriter", "S3Writer", "SqsWriter"]

logger = logging.getLogger(__name__)


class SqsWriter:
    """Sends a record as a JSON message to one queue."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url
        self._fifo = queue_url.endswith(".fifo")

    def send(self, record: SumRecord) -> str:
        """Send the record and return the SQS message id."""
        params: dict[str, Any] = {"QueueUrl": self._queue_url, "MessageBody": dumps_exact(record.message())}
        if self._fifo:
            # FIFO drops a second message with the same dedup id within 5 minutes: replays are safe.
            token = stable_token(record.request_id)
            params["MessageGroupId"] = token
            params["MessageDeduplicationId"] = token
        with translate_errors("SQS queue", self._queue_url):
            response = self._client.send_message(**params)
        return str(response["MessageId"])


class S3Writer:
    """Stores a record as a JSON object under a date-partitioned key in one bucket."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix

    def key_for(self, record: SumRecord) -> str:
        """Return the object key: <prefix>/YYYY/MM/DD/<request_id>.json (UTC date)."""
        return f"{self._prefix}/{record.timestamp:%Y/%m/%d}/{record.request_id}.json"

    def put(self, record: SumRecord) -> str:
        """Store the record and return its key; a replayed request id keeps the first object."""
        key = self.key_for(record)
        try:
            with translate_errors("S3 bucket", self._bucket):
                self._client.put_object(
                    Bucket=self._bucket,
                    Key=key,
                    Body=dumps_exact(record.message()).encode("utf-8"),
                    ContentType="application/json",
                    # Conditional write: never overwrite what an earlier attempt of this request stored.
                    IfNoneMatch="*",
                )
        except SinkWriteFailed as exc:
            if exc.details.get("aws_error_code") != "PreconditionFailed":
                raise
            logger.info("object %s already stored by an earlier attempt of this request", key)
        return key


class DynamoDbWriter:
    """Puts a record as an item with a TTL into one table, at most once per request id."""

    def __init__(self, client: Any, table_name: str, ttl_days: int) -> None:
        self._client = client
        self._table_name = table_name
        self._ttl_days = ttl_days

    def put(self, record: SumRecord) -> dict[str, Any]:
        """Write the item and return it; a replayed request id returns the item stored first."""
        stored, created = put_once(self._client, self._table_name, record.item(self._ttl_days))
        if not created:
            logger.info("item %s already stored by an earlier attempt of this request", stored["id"])
        return stored
