"""The async job model: statuses, ids, leases, caller scope, the request's job options, the public view.

Job records are typed items in the sink table (`id` = "job#<job_id>", `item_type` = "job"), so one table,
one TTL and one IAM resource cover both; an IAM condition on the key prefix can limit readers to jobs.
An idempotency key maps to its job through a key item ("job#key.<hash of caller and key>", see
`key_item_id`): job ids are random, never derived from what a caller sends. Storing them is
`shared.jobs.store`; running them on the runtime is `shared.jobs.runner`.

A job that is PENDING or RUNNING holds a lease (`lease_expires_at`) that its worker renews while it works;
once the lease has run out the job is lost (its session ended before it finished): every reader shows it
as FAILED with error code JobLost, and a new submission with the same key runs it again.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ..core.arithmetic import Number, exact_sum
from ..core.errors import AppError, Conflict, InvalidInput, NotFound
from ..core.records import SumRecord, iso_utc
from ..core.settings import MAX_DELAY_SECONDS
from ..core.validation import checked_delay

__all__ = [
    "ACTIVE",
    "CANCELLED",
    "FAILED",
    "FINISHED",
    "JOB_KEY_PREFIX",
    "JOB_LOST",
    "JOB_MARGIN_SECONDS",
    "KEY_ITEM_PREFIX",
    "PENDING",
    "RUNNING",
    "SUCCEEDED",
    "JobFinished",
    "JobOptions",
    "JobRecordInvalid",
    "NewJob",
    "check_caller",
    "check_fits_lifetime",
    "check_job_id",
    "is_lost",
    "job_from_item",
    "job_view",
    "key_item_id",
    "lease_until",
    "new_job_id",
    "owned_job",
    "parse_job_options",
    "record_for",
]

PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED = "PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"
ACTIVE = (PENDING, RUNNING)
FINISHED = (SUCCEEDED, FAILED, CANCELLED)
JOB_KEY_PREFIX = "job#"
# "." is not in a job id's alphabet: no job id, so no GET /jobs/{id}, can name a key item.
KEY_ITEM_PREFIX = JOB_KEY_PREFIX + "key."
JOB_LOST = "JobLost"
_LOST_MESSAGE = (
    "the job's runtime session ended before the job finished (no heartbeat since {at}); "
    "submit it again with the same idempotency_key to run it again"
)
# What a job needs beyond its delay: starting, the result write and the final record.
JOB_MARGIN_SECONDS = 10
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class JobRecordInvalid(AppError):
    """A stored job record lacks fields every job has."""

    status = 502
    code = "JobRecordInvalid"


class JobFinished(Conflict):
    """The job has already finished."""

    status = 409
    code = "JobFinished"


def new_job_id() -> str:
    """Return a new job id: random (uuid4), so nobody can compute another caller's job id."""
    return str(uuid.uuid4())


def key_item_id(caller: str | None, idempotency_key: str) -> str:
    """The id of the item that maps (caller, idempotency key) to its job: one per caller and key."""
    # JSON keeps the two apart whatever characters they hold ("a" + "b:c" is not "a:b" + "c").
    digest = hashlib.sha256(json.dumps([caller or "", idempotency_key]).encode("utf-8")).hexdigest()
    return KEY_ITEM_PREFIX + digest


def check_job_id(value: Any, field: str = "job_status") -> str:
    """Validate a job id from a request; raise InvalidInput naming the field."""
    if not isinstance(value, str) or not _JOB_ID.match(value):
        raise InvalidInput(
            f"{field} must be a job id (1 to 128 letters, digits, '-' or '_')",
            field=field,
            expected=f'{{"{field}": "<job_id returned by an async request>"}}',
        )
    return value


def check_caller(value: Any, field: str = "caller") -> str | None:
    """Validate the caller a trusted front names (None: the one tenant); raise InvalidInput naming it."""
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= 512 or not value.isprintable():
        raise InvalidInput(f"{field} must be a printable string of 1 to 512 characters", field=field)
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
    caller: str | None = None
    attempt: int = 1


def job_from_item(item: dict[str, Any]) -> NewJob:
    """The job a stored record describes (what a worker needs to run it, or run it again)."""
    try:
        return NewJob(
            job_id=item["job_id"],
            a=item["input_a"],
            b=item["input_b"],
            request_id=item["request_id"],
            session_id=item.get("session_id"),
            idempotency_key=item.get("idempotency_key"),
            delay_seconds=int(item.get("delay_seconds", 0)),
            caller=item.get("caller"),
            attempt=int(item.get("attempt", 1)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise JobRecordInvalid("the job record is incomplete") from exc


def record_for(job: NewJob) -> SumRecord:
    """The sum record a job writes: keyed by the job id, so every attempt of a job writes the same item."""
    return SumRecord(
        a=job.a, b=job.b, result=exact_sum(job.a, job.b), request_id=job.job_id, session_id=job.session_id
    )


def lease_until(now: datetime, lease_seconds: float) -> str:
    """The lease's end as stored (ISO-8601 UTC with milliseconds: such strings compare as the times do)."""
    return iso_utc(now + timedelta(seconds=lease_seconds))


def is_lost(item: dict[str, Any], now: datetime) -> bool:
    """Whether a PENDING or RUNNING job's lease has run out (its worker is gone)."""
    lease = item.get("lease_expires_at")
    return item.get("status") in ACTIVE and isinstance(lease, str) and lease < iso_utc(now)


def owned_job(item: dict[str, Any] | None, caller: str | None, job_id: str, field: str) -> dict[str, Any]:
    """Return the job item if this caller may see it; else NotFound, the same answer as for no job at all."""
    if not item or (item.get("caller") or None) != (caller or None):
        raise NotFound(f"no job with id {job_id}", field=field, job_id=job_id)
    return item


def job_view(item: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """Return the public JSON view of a job item (used by the runtime and the API proxy alike).

    With `now`, a job whose lease ran out is shown as it is: FAILED with error code JobLost.
    """
    try:
        return _view(item, now)
    except KeyError as exc:
        raise JobRecordInvalid("the job record is incomplete") from exc


def _view(item: dict[str, Any], now: datetime | None) -> dict[str, Any]:
    lost = now is not None and is_lost(item, now)
    status = FAILED if lost else item["status"]
    view: dict[str, Any] = {
        "job_id": item["job_id"],
        "status": status,
        "input": {"a": _number(item["input_a"]), "b": _number(item["input_b"])},
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
    }
    for name in ("started_at", "finished_at", "delay_seconds", "idempotency_key", "attempt"):
        if name in item:
            view[name] = _number(item[name]) if name in ("delay_seconds", "attempt") else item[name]
    if status == SUCCEEDED:
        view["result"] = _number(item["result"])
        view["item_id"] = item.get("result_item_id")
    if lost:
        at = item.get("heartbeat_at") or item.get("started_at") or item["created_at"]
        view["error"] = {"code": JOB_LOST, "message": _LOST_MESSAGE.format(at=at)}
    elif status == FAILED:
        view["error"] = {"code": item.get("error_code"), "message": item.get("error_message")}
    return view


def _number(value: Any) -> Any:
    # DynamoDB hands every number back as Decimal; whole numbers written without a fraction are ints.
    if isinstance(value, Decimal) and value.is_finite() and int(value.as_tuple().exponent) >= 0:
        return int(value)
    return value


def check_fits_lifetime(delay_seconds: int, max_lifetime: int, session_age: float = 0.0) -> None:
    """Refuse (400, naming delay_seconds) a job that cannot finish before its session's maxLifetime."""
    left = max_lifetime - session_age
    needed = delay_seconds + JOB_MARGIN_SECONDS
    if needed > left:
        raise InvalidInput(
            f"the job needs about {needed} s (delay_seconds {delay_seconds} + {JOB_MARGIN_SECONDS} s), "
            f"but its runtime session ends after {int(left)} s (maxLifetime {max_lifetime} s, "
            "RUNTIME_MAX_LIFETIME_SECONDS): it could never finish",
            field="delay_seconds",
            max_delay_seconds=max(0, int(left) - JOB_MARGIN_SECONDS),
        )


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
    if payload.get("delay_seconds") is not None and mode != "async":
        raise InvalidInput(
            "delay_seconds applies to async jobs only", field="delay_seconds", expected=expected
        )
    delay = checked_delay(payload, MAX_DELAY_SECONDS, expected)
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
