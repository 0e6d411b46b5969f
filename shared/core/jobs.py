"""The async job model: statuses, ids, the request's job options and the public view of a job record.

Job records are typed items in the sink table (`id` = "job#<job_id>", `item_type` = "job"), so one table,
one TTL and one IAM resource cover both; an IAM condition on the key prefix can limit readers to jobs.
Storing them is `shared.aws.jobstore`; running them on the runtime is `shared.agentcore.jobs`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .arithmetic import Number
from .errors import InvalidInput, error_type
from .settings import MAX_DELAY_SECONDS

__all__ = [
    "FAILED",
    "JOB_KEY_PREFIX",
    "PENDING",
    "RUNNING",
    "SUCCEEDED",
    "JobOptions",
    "JobRecordInvalid",
    "NewJob",
    "check_job_id",
    "job_id_for",
    "job_view",
    "parse_job_options",
]

PENDING, RUNNING, SUCCEEDED, FAILED = "PENDING", "RUNNING", "SUCCEEDED", "FAILED"
JOB_KEY_PREFIX = "job#"
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_KEY_NAMESPACE = uuid.UUID("6f1c1f57-8f6b-4d39-9a55-2f4a0b8c3e21")


def job_id_for(request_id: str, idempotency_key: str | None) -> str:
    """Derive the job id: from the client's idempotency key when given, else from the request id."""
    source = f"key:{idempotency_key}" if idempotency_key is not None else f"request:{request_id}"
    return str(uuid.uuid5(_KEY_NAMESPACE, source))


def check_job_id(value: Any, field: str = "job_status") -> str:
    """Validate a job id from a request; raise InvalidInput naming the field."""
    if not isinstance(value, str) or not _JOB_ID.match(value):
        raise InvalidInput(
            f"{field} must be a job id (1 to 128 letters, digits, '-' or '_')",
            field=field,
            expected='{"job_status": "<job_id returned by an async request>"}',
        )
    return value


@dataclass(frozen=True)
class NewJob:
    """What a job is created with."""

    job_id: str
    a: Number
    b: Number
    request_id: str
    session_id: str | None
    idempotency_key: str | None
    delay_seconds: int


JobRecordInvalid = error_type("JobRecordInvalid", 502, "A stored job record lacks fields every job has.")


def job_view(item: dict[str, Any]) -> dict[str, Any]:
    """Return the public JSON view of a job item (used by the runtime and the API proxy alike)."""
    try:
        return _view(item)
    except KeyError as exc:
        raise JobRecordInvalid("the job record is incomplete") from exc


def _view(item: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {
        "job_id": item["job_id"],
        "status": item["status"],
        "input": {"a": _number(item["input_a"]), "b": _number(item["input_b"])},
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
    }
    for name in ("started_at", "finished_at", "delay_seconds", "idempotency_key"):
        if name in item:
            view[name] = _number(item[name]) if name == "delay_seconds" else item[name]
    if item["status"] == SUCCEEDED:
        view["result"] = _number(item["result"])
        view["item_id"] = item.get("result_item_id")
    if item["status"] == FAILED:
        view["error"] = {"code": item.get("error_code"), "message": item.get("error_message")}
    return view


def _number(value: Any) -> Any:
    # DynamoDB hands every number back as Decimal; whole numbers written without a fraction are ints.
    if isinstance(value, Decimal) and value.is_finite() and int(value.as_tuple().exponent) >= 0:
        return int(value)
    return value


@dataclass(frozen=True)
class JobOptions:
    """The async fields of a request."""

    mode: str
    delay_seconds: int | None
    idempotency_key: str | None


def parse_job_options(payload: dict[str, Any]) -> JobOptions:
    """Read `mode`, `delay_seconds` and `idempotency_key`; raise InvalidInput naming the field."""
    expected = '{"prompt": {"a": 1, "b": 2}, "mode": "async", "delay_seconds": 0, "idempotency_key": "..."}'
    mode = payload.get("mode", "sync")
    if mode not in ("sync", "async"):
        raise InvalidInput('mode must be "sync" or "async"', field="mode", expected=expected)
    delay = payload.get("delay_seconds")
    if delay is not None:
        if mode != "async":
            raise InvalidInput(
                "delay_seconds applies to async jobs only", field="delay_seconds", expected=expected
            )
        if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= MAX_DELAY_SECONDS:
            raise InvalidInput(
                f"delay_seconds must be an integer from 0 to {MAX_DELAY_SECONDS}", field="delay_seconds",
                expected=expected,
            )  # fmt: skip
    key = payload.get("idempotency_key")
    if key is not None:
        if mode != "async":
            raise InvalidInput("idempotency_key applies to async jobs only", field="idempotency_key",
                               expected=expected)  # fmt: skip
        if not isinstance(key, str) or not 1 <= len(key) <= 256 or not key.isprintable():
            raise InvalidInput(
                "idempotency_key must be a printable string of 1 to 256 characters", field="idempotency_key",
                expected=expected,
            )  # fmt: skip
    return JobOptions(mode=mode, delay_seconds=delay, idempotency_key=key)
