"""What landed in the embedded AWS: a DynamoDB item as plain values, everything a step's sink holds."""

from __future__ import annotations

from typing import Any

from devtools.emulator import EmbeddedAws, Resources

__all__ = ["dynamodb_item", "landed"]


def dynamodb_item(aws: EmbeddedAws, table: str, item_id: str) -> dict[str, Any]:
    """The item with this id (strongly consistent read), each attribute as its wire value ({} if none).

    Numbers stay the strings DynamoDB sends ("9"), so a comparison sees exactly what was stored.
    """
    got = aws.client("dynamodb").get_item(TableName=table, Key={"id": {"S": item_id}}, ConsistentRead=True)
    return {name: next(iter(value.values())) for name, value in got.get("Item", {}).items()}


def landed(aws: EmbeddedAws, resources: Resources, step: str) -> list[Any]:
    """Everything the step's sink holds now: SQS message bodies, S3 keys or DynamoDB items."""
    if step == "2_sqs_sink":
        sqs = aws.client("sqs")
        bodies: list[Any] = []
        for url in (resources.queue_url, resources.fifo_queue_url):
            while True:
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)
                messages = got.get("Messages", [])
                if not messages:
                    break
                bodies.extend(m["Body"] for m in messages)
        return bodies
    if step == "3_s3_sink":
        listing = aws.client("s3").list_objects_v2(Bucket=resources.bucket)
        return [o["Key"] for o in listing.get("Contents", [])]
    if step == "4_dynamodb_sink":
        return list(aws.client("dynamodb").scan(TableName=resources.table_name, ConsistentRead=True)["Items"])
    return []
