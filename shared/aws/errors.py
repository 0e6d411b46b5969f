"""One translation of botocore's errors into ours, with one set of throttling codes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from ..core.errors import AppError, SinkThrottled, SinkWriteFailed, exception_chain

__all__ = [
    "SINK_WRITES",
    "THROTTLING_CODES",
    "Translation",
    "error_code",
    "is_transient",
    "translate_errors",
]

# Error codes AWS uses for throttling across SQS, S3, DynamoDB, Bedrock and AgentCore (event-stream
# errors from Bedrock's ConverseStream arrive in lower camel case).
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "throttlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
        "ServiceUnavailable",
        # Bedrock's tokens-per-minute quota; AgentCore's session quota is mapped before this set is read.
        "ServiceQuotaExceededException",
    }
)


@dataclass(frozen=True)
class Translation:
    """Which of our errors a botocore failure becomes: throttled, failed, or one named by its AWS code."""

    throttled: type[AppError] = SinkThrottled
    failed: type[AppError] = SinkWriteFailed
    by_code: Mapping[str, type[AppError]] = field(default_factory=dict)


SINK_WRITES = Translation()


def error_code(exc: ClientError) -> str:
    """Return the AWS error code of a ClientError."""
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def is_transient(exc: BaseException) -> bool:
    """Whether a failed AWS call may pass if made again: throttled, a 5xx, or its connection failed.

    Reads the first botocore error in the chain (ours wrap it with `raise ... from exc`). Everything else
    (access denied, a missing resource, bad input, a bug) is permanent: calling again cannot help.
    """
    for link in exception_chain(exc):
        if isinstance(link, ClientError):
            status = link.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            return error_code(link) in THROTTLING_CODES or int(status) >= 500
        # Connection refused, reset or closed, timeouts, TLS and proxy failures (botocore's two families).
        if isinstance(link, (BotoConnectionError, HTTPClientError)):
            return True
    return False


@contextmanager
def translate_errors(
    service: str, resource: str, action: str = "write", translation: Translation = SINK_WRITES
) -> Iterator[None]:
    """Turn botocore errors raised inside the block into ours (SinkThrottled, SinkWriteFailed by default)."""
    preposition = "from" if action == "read" else "to"
    try:
        yield
    except ClientError as exc:
        code = error_code(exc)
        throttled = code in THROTTLING_CODES
        kind = translation.by_code.get(code) or (translation.throttled if throttled else translation.failed)
        verb = "was throttled" if throttled else "failed"
        raise kind(
            f"the {action} {preposition} {service} {resource} {verb} ({code})",
            service=service,
            resource=resource,
            aws_error_code=code,
        ) from exc
    except BotoCoreError as exc:
        # Connection and timeout errors: the write may or may not have landed; never claim it did.
        code = type(exc).__name__
        raise translation.failed(
            f"the {action} {preposition} {service} {resource} failed ({code})",
            service=service,
            resource=resource,
            aws_error_code=code,
        ) from exc
