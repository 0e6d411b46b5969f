"""Steps 2-4's sinks: where each writes (settings) and the writers (a client, a resource, one method)."""

from .settings import DynamoDbSettings, S3Settings, SqsSettings
from .writers import DynamoDbWriter, S3Writer, SqsWriter

__all__ = ["DynamoDbSettings", "DynamoDbWriter", "S3Settings", "S3Writer", "SqsSettings", "SqsWriter"]
