"""Writers for SQS, S3 and DynamoDB: each takes its client and resource, has one public method."""

from __future__ import annotations

import decimal
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from .errors import AppError, SinkThrottled, SinkWriteFailed
from .jsonnum import dumps_exact
from .records import SumRecord, stable_token

logger = logging.getLogger(__name__)
_serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize
# boto3's serializer works at DynamoDB's 38-digit precision and traps Rounded even when only trailing
# zeros would go (10**60 is storable, but has 61 digits); Inexact still guards against a real loss.
_DYNAMODB_DIGITS = 38
_TRIM_CONTEXT = decimal.Context(prec=_DYNAMODB_DIGITS, traps=[decimal.Inexact])

# Error codes AWS uses for throttling across SQS, S3 and DynamoDB.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
        "ServiceUnavailable",
    }
)


def error_code(exc: ClientError) -> str:
    """Return the AWS error code of a ClientError."""
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


@contextmanager
def translate_errors(service: str, resource: str, action: str = "write") -> Iterator[None]:
    """Turn botocore errors raised inside the block into SinkThrottled or SinkWriteFailed."""
    try:
        yield
    except ClientError as exc:
        code = error_code(exc)
        kind: type[AppError] = SinkThrottled if code in THROTTLING_CODES else SinkWriteFailed
        verb = "was throttled" if kind is SinkThrottled else "failed"
        raise kind(
            f"the {action} {'from' if action == 'read' else 'to'} {service} {resource} {verb} ({code})",
            service=service,
            resource=resource,
            aws_error_code=code,
        ) from exc
    except BotoCoreError as exc:
        # Connection and timeout errors: the write may or may not have landed; never claim it did.
        code = type(exc).__name__
        raise SinkWriteFailed(
            f"the {action} {'from' if action == 'read' else 'to'} {service} {resource} failed ({code})",
            service=service,
            resource=resource,
            aws_error_code=code,
        ) from exc


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


def dynamodb_value(value: Any) -> Any:
    """Give boto3's serializer a number it accepts: plain zero, no surplus trailing zeros."""
    if isinstance(value, (int, decimal.Decimal)) and not isinstance(value, bool):
        number = decimal.Decimal(value)
        if number.is_zero():
            # A zero with a huge exponent (0E+130, valid JSON) trips the serializer's Clamped trap.
            return decimal.Decimal(0)
        if len(number.as_tuple().digits) > _DYNAMODB_DIGITS:
            return number.normalize(_TRIM_CONTEXT)
    return value


def to_attribute(value: Any) -> dict[str, Any]:
    """Serialize one value as a DynamoDB attribute value, numbers made acceptable first."""
    return dict(_serialize(dynamodb_value(value)))


class DynamoDbWriter:
    """Puts a record as an item with a TTL into one table, at most once per request id."""

    def __init__(self, client: Any, table_name: str, ttl_days: int) -> None:
        self._client = client
        self._table_name = table_name
        self._ttl_days = ttl_days

    def put(self, record: SumRecord) -> dict[str, Any]:
        """Write the item and return it; a replayed request id returns the item stored first."""
        item = record.item(self._ttl_days)
        try:
            with translate_errors("DynamoDB table", self._table_name):
                self._client.put_item(
                    TableName=self._table_name,
                    Item={name: to_attribute(value) for name, value in item.items()},
                    ConditionExpression="attribute_not_exists(id)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except SinkWriteFailed as exc:
            if exc.details.get("aws_error_code") != "ConditionalCheckFailedException":
                raise
            cause = exc.__cause__
            old = cause.response.get("Item") if isinstance(cause, ClientError) else None
            if not old:
                raise
            logger.info("item %s already stored by an earlier attempt of this request", item["id"])
            return {name: _deserialize(value) for name, value in old.items()}
        return item
