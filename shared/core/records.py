"""The record every sink writes for one a + b request."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .arithmetic import Number, exact_sum
from .validation import parse_sum_request

__all__ = ["SumRecord", "iso_utc", "stable_token", "utc_now"]

OPERATION = "sum"
# Who computed the record: a step on AgentCore Runtime, unless the writer says otherwise (the durable job).
SOURCE = "agentcore"


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """Format a UTC time as ISO-8601 with milliseconds and a Z suffix."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stable_token(request_id: str) -> str:
    """Derive a token from the request id that is valid as an SQS FIFO group or dedup id."""
    return hashlib.sha256(request_id.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SumRecord:
    """One computed sum, with the runtime ids that make writes idempotent."""

    a: Number
    b: Number
    result: Number
    request_id: str
    session_id: str | None
    timestamp: datetime = field(default_factory=utc_now)
    source: str = SOURCE

    @classmethod
    def from_payload(cls, payload: Any, request_id: str, session_id: str | None) -> SumRecord:
        """Validate the payload, add exactly, and stamp the request and session ids."""
        operands = parse_sum_request(payload)
        return cls(
            a=operands.a,
            b=operands.b,
            result=exact_sum(operands.a, operands.b),
            request_id=request_id,
            session_id=session_id,
        )

    def message(self) -> dict[str, Any]:
        """Return the JSON document sent to SQS and stored in S3."""
        return {
            "operation": OPERATION,
            "input": {"a": self.a, "b": self.b},
            "result": self.result,
            "timestamp": iso_utc(self.timestamp),
            "source": self.source,
            "request_id": self.request_id,
            "session_id": self.session_id,
        }

    def item(self, ttl_days: int) -> dict[str, Any]:
        """Return the DynamoDB item; its id is the request id, so a replay cannot add a second item."""
        item: dict[str, Any] = {
            "id": self.request_id,
            "timestamp": iso_utc(self.timestamp),
            "operation": OPERATION,
            "input_a": self.a,
            "input_b": self.b,
            "result": self.result,
            "source": self.source,
            "request_id": self.request_id,
            "ttl": int((self.timestamp + timedelta(days=ttl_days)).timestamp()),
        }
        if self.session_id:
            item["session_id"] = self.session_id
        return item
