"""The few error types the steps raise, each with its HTTP status and error code."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """An error with a stable code and an HTTP status, safe to show to the caller."""

    status: int = 500
    code: str = "InternalError"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = {k: v for k, v in details.items() if v is not None}

    def to_body(self) -> dict[str, Any]:
        """Return the JSON error envelope: {"error": {"code", "message", ...}}."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        error.update(self.details)
        return {"error": error}


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
