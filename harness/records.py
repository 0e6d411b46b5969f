"""What landed in the embedded AWS: everything a step's sink holds."""

from __future__ import annotations

from typing import Any

from commands.worlds import Resources
from local_cloud.aws import EmbeddedAws

__all__ = ["landed"]


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
