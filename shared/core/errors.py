"""The few error types the steps raise, each with its HTTP status and error code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = [
    "AppError",
    "ConfigurationError",
    "Conflict",
    "InvalidInput",
    "NotFound",
    "SinkThrottled",
    "SinkWriteFailed",
    "error_type",
    "exception_chain",
]


class AppError(Exception):
    """An error with a stable code and an HTTP status, safe to show to the caller."""

    status: int = 500
    code: str = "InternalError"
    # Seconds after which a retry may succeed (an HTTP front sends it as Retry-After); None: no hint.
    retry_after: int | None = None

    def __init__(
        self, message: str, *, field: str | None = None, retry_after: int | None = None, **details: Any
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if retry_after is not None:
            self.retry_after = retry_after
        self.details = {k: v for k, v in details.items() if v is not None}

    def to_body(self) -> dict[str, Any]:
        """Return the JSON error envelope: {"error": {"code", "message", ...}}."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        error.update(self.details)
        return {"error": error}


def error_type(
    code: str, status: int, doc: str, base: type[AppError] = AppError, retry_after: int | None = None
) -> type[AppError]:
    """Return an AppError subclass named after its code: errors that differ only in code and status."""
    namespace = {"code": code, "status": status, "retry_after": retry_after, "__doc__": doc}
    return type(code, (base,), {**namespace, "__module__": base.__module__})


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """Yield the exception, then what it wraps (original_exception, __cause__, __context__)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "original_exception", None)
        current = wrapped if isinstance(wrapped, BaseException) else current.__cause__ or current.__context__


# The few errors every layer raises; the layers add their own with error_type (Bedrock's, the runtime
# client's, the job store's), so that what differs between errors is a row of a table.


class InvalidInput(AppError):
    """The payload does not match the expected shape; nothing was written."""

    status = 400
    code = "InvalidInput"


class NotFound(AppError):
    """The requested record does not exist."""

    status = 404
    code = "NotFound"


class Conflict(AppError):
    """The request conflicts with a record that already exists."""

    status = 409
    code = "Conflict"


class ConfigurationError(AppError):
    """A required setting is missing or malformed."""

    status = 500
    code = "ConfigurationError"


class SinkWriteFailed(AppError):
    """A write to SQS, S3 or DynamoDB failed; nothing is reported as stored."""

    status = 502
    code = "SinkWriteFailed"


class SinkThrottled(AppError):
    """AWS kept throttling the write after botocore's retries."""

    status = 503
    code = "SinkThrottled"
