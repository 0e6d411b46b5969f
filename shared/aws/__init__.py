"""The AWS layer: boto3 clients, one error translation, DynamoDB helpers, the sink writers, the job store."""

from .clients import client, new_client, region, reset_clients
from .jobstore import JobStore
from .sinks import DynamoDbWriter, S3Writer, SqsWriter

__all__ = [
    "DynamoDbWriter",
    "JobStore",
    "S3Writer",
    "SqsWriter",
    "client",
    "new_client",
    "region",
    "reset_clients",
]
