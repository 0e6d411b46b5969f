"""Where steps 2-4 write: the sinks' environment variables, read into typed settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..core.settings import MAX_DELAY_SECONDS, int_setting, require

__all__ = [
    "DELAY_SECONDS",
    "DYNAMODB_TABLE_NAME",
    "S3_BUCKET_NAME",
    "S3_PREFIX",
    "SQS_QUEUE_URL",
    "TTL_DAYS",
    "DynamoDbSettings",
    "S3Settings",
    "SqsSettings",
]

SQS_QUEUE_URL = "SQS_QUEUE_URL"
S3_BUCKET_NAME = "S3_BUCKET_NAME"
S3_PREFIX = "S3_PREFIX"
DYNAMODB_TABLE_NAME = "DYNAMODB_TABLE_NAME"
TTL_DAYS = "TTL_DAYS"
DELAY_SECONDS = "DELAY_SECONDS"

DEFAULT_S3_PREFIX = "agentcore-results"
DEFAULT_TTL_DAYS = 30
MAX_TTL_DAYS = 36_500


@dataclass(frozen=True)
class SqsSettings:
    """Where step 2 sends its messages."""

    queue_url: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SqsSettings:
        """Read SQS_QUEUE_URL."""
        return cls(queue_url=require(SQS_QUEUE_URL, environ))


@dataclass(frozen=True)
class S3Settings:
    """Where step 3 stores its objects."""

    bucket: str
    prefix: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> S3Settings:
        """Read S3_BUCKET_NAME and S3_PREFIX."""
        env = os.environ if environ is None else environ
        prefix = env.get(S3_PREFIX, DEFAULT_S3_PREFIX).strip().strip("/") or DEFAULT_S3_PREFIX
        return cls(bucket=require(S3_BUCKET_NAME, env), prefix=prefix)


@dataclass(frozen=True)
class DynamoDbSettings:
    """Where step 4 writes its items, how long they live, how long to wait first."""

    table_name: str
    ttl_days: int
    delay_seconds: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DynamoDbSettings:
        """Read DYNAMODB_TABLE_NAME, TTL_DAYS and DELAY_SECONDS."""
        return cls(
            table_name=require(DYNAMODB_TABLE_NAME, environ),
            ttl_days=int_setting(TTL_DAYS, DEFAULT_TTL_DAYS, 1, MAX_TTL_DAYS, environ),
            delay_seconds=int_setting(DELAY_SECONDS, 0, 0, MAX_DELAY_SECONDS, environ),
        )
