"""Job records in DynamoDB: every move of a job is one conditional write, so concurrent workers and
callers agree on what happened.

- submit: a key item maps (caller, idempotency key) to a random job id (`attribute_not_exists`); the job
  item is then put once. A job whose lease ran out (lost) is restarted by one conditional update on its
  `attempt`, so however many callers resubmit at once, one of them runs it again.
- start / renew / finish: only the worker of the current attempt, while the job is RUNNING (finish: and
  its lease still holds, so a job readers have seen lost never turns SUCCEEDED under them).
- cancel: only the caller's own job, while PENDING or RUNNING and not lost.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from botocore.config import Config

from ..aws.dynamodb import conditional_write, from_item, put_once, to_attribute, update_params
from ..aws.errors import SINK_WRITES, Translation, translate_errors
from ..core.errors import AppError
from ..core.records import iso_utc, utc_now
from ..sinks.settings import DEFAULT_TTL_DAYS
from .model import (
    CANCELLED,
    JOB_KEY_PREFIX,
    PENDING,
    RUNNING,
    JobFinished,
    NewJob,
    is_lost,
    job_view,
    key_item_id,
    lease_until,
    owned_job,
)
from .settings import DEFAULT_JOB_LEASE_SECONDS

__all__ = [
    "JOB_READS",
    "READ_CONFIG",
    "JobStore",
    "JobStoreMisconfigured",
    "JobStoreThrottled",
    "JobStoreUnavailable",
]

# A job read is one small GetItem: fail fast, retry throttling, and stay far below a Lambda's timeout.
READ_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "total_max_attempts": 3},
    tcp_keepalive=True,
)


class JobStoreThrottled(AppError):
    """DynamoDB kept throttling job reads."""

    status = 503
    code = "JobStoreThrottled"
    retry_after = 1


class JobStoreUnavailable(AppError):
    """The jobs table could not be read."""

    status = 503
    code = "JobStoreUnavailable"
    retry_after = 2


class JobStoreMisconfigured(AppError):
    """The jobs table is missing, or the caller may not read it."""

    status = 500
    code = "JobStoreMisconfigured"


# A failed read is never "no such job": a missing table or a denied read is a deployment problem.
JOB_READS = Translation(
    throttled=JobStoreThrottled,
    failed=JobStoreUnavailable,
    by_code=dict.fromkeys(
        ("ResourceNotFoundException", "AccessDeniedException", "ValidationException"), JobStoreMisconfigured
    ),
)
# Job writes name no table: the proxy's answers reach API callers.
_RESOURCE = "jobs table"
# Attributes of one attempt that a restart clears.
_ATTEMPT_FIELDS = ("started_at", "heartbeat_at", "finished_at", "error_code", "error_message")


class JobStore:
    """Reads and writes job records in one DynamoDB table (writes failing as `writes` says)."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        ttl_days: int = DEFAULT_TTL_DAYS,
        lease_seconds: float = DEFAULT_JOB_LEASE_SECONDS,
        writes: Translation = SINK_WRITES,
    ) -> None:
        self._client = client
        self._table = table_name
        self._ttl_days = ttl_days
        self.lease_seconds = lease_seconds
        self._writes = writes

    # -- submission ----------------------------------------------------------------------------------

    def submit(self, job: NewJob, now: datetime | None = None) -> tuple[dict[str, Any], bool]:
        """Store the job, or find the one its key names; return (the job, whether this call must run it).

        True for a new job, and for a lost job this call restarted (the record then holds its new
        attempt); False for a job that is live or finished.
        """
        now = now or utc_now()
        if job.idempotency_key is None:
            # A random id: the put lands; put_once keeps a replayed id from overwriting.
            return put_once(self._client, self._table, self._new_item(job, now))
        key_item = {
            "id": key_item_id(job.caller, job.idempotency_key),
            "item_type": "job_key",
            "job_id": job.job_id,
            "ttl": self._ttl(now),
        }
        landed, mapped = conditional_write(
            self._client, "put_item", self._table, self._writes, _RESOURCE,
            Item={k: to_attribute(v) for k, v in key_item.items()},
            ConditionExpression="attribute_not_exists(id)",
        )  # fmt: skip
        if not landed:
            if mapped is None or "job_id" not in mapped:
                raise self._writes.failed(
                    "the idempotency key's record is unreadable", aws_error_code="ConditionalCheckFailed"
                )
            job = replace(job, job_id=str(mapped["job_id"]))
            existing = self._read(JOB_KEY_PREFIX + job.job_id)
            if existing is not None:
                return self._restart(existing, job, now) if is_lost(existing, now) else (existing, False)
        # The key names this job id and no job item exists yet (a first submission, or an earlier one that
        # stopped between its two writes, or a job whose item expired first): whoever puts it runs it.
        return put_once(self._client, self._table, self._new_item(job, now))

    def _restart(self, lost: dict[str, Any], job: NewJob, now: datetime) -> tuple[dict[str, Any], bool]:
        """Start the next attempt of a lost job: (the job, True); (the job as it is, False) when another
        caller restarted it first (or its worker came back)."""
        attempt = int(lost.get("attempt", 1))
        values = {
            "status": PENDING,
            "attempt": attempt + 1,
            "lease_expires_at": lease_until(now, self.lease_seconds),
            "updated_at": iso_utc(now),
            "request_id": job.request_id,
        }
        if job.session_id:
            values["session_id"] = job.session_id
        params = update_params(values, remove=_ATTEMPT_FIELDS)
        params["ExpressionAttributeNames"].update({"#status": "status", "#attempt": "attempt"})
        params["ExpressionAttributeValues"].update(
            {":seen": to_attribute(attempt), ":p": to_attribute(PENDING), ":r": to_attribute(RUNNING),
             ":now": to_attribute(iso_utc(now))}
        )  # fmt: skip
        landed, item = conditional_write(
            self._client, "update_item", self._table, self._writes, _RESOURCE,
            Key=self._key(job.job_id),
            ConditionExpression="#attempt = :seen AND #status IN (:p, :r) AND lease_expires_at < :now",
            ReturnValues="ALL_NEW", **params,
        )  # fmt: skip
        if item is None:
            raise self._writes.failed(
                "the lost job's record is gone", aws_error_code="ConditionalCheckFailed"
            )
        return item, landed

    def _new_item(self, job: NewJob, now: datetime) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": JOB_KEY_PREFIX + job.job_id,
            "item_type": "job",
            "job_id": job.job_id,
            "status": PENDING,
            "attempt": job.attempt,
            "input_a": job.a,
            "input_b": job.b,
            "delay_seconds": job.delay_seconds,
            "request_id": job.request_id,
            "created_at": iso_utc(now),
            "updated_at": iso_utc(now),
            # A worker moves it to RUNNING at once; a job still PENDING when this runs out was never started.
            "lease_expires_at": lease_until(now, self.lease_seconds),
            "ttl": self._ttl(now),
        }
        for name in ("session_id", "idempotency_key", "caller"):
            value = getattr(job, name)
            if value:
                item[name] = value
        return item

    # -- reads ---------------------------------------------------------------------------------------

    def get(self, job_id: str, caller: str | None = None, field: str = "job_status") -> dict[str, Any]:
        """Return the caller's job record (strongly consistent), or raise NotFound naming the field.

        Another caller's job is NotFound too: the same answer as for an id no job has.
        """
        return owned_job(self._read(JOB_KEY_PREFIX + job_id), caller, job_id, field)

    def _read(self, key: str) -> dict[str, Any] | None:
        # The table's name stays out of the message: job reads answer API callers directly.
        with translate_errors("DynamoDB", "jobs table", action="read", translation=JOB_READS):
            got = self._client.get_item(TableName=self._table, Key={"id": {"S": key}}, ConsistentRead=True)
        item = got.get("Item")
        return from_item(item) if item else None

    # -- the worker ----------------------------------------------------------------------------------

    def start(self, job: NewJob, now: datetime | None = None) -> bool:
        """PENDING to RUNNING for this attempt; False if the job was cancelled or restarted meanwhile."""
        now = now or utc_now()
        landed, _ = self._update(
            job, {"status": RUNNING, "started_at": iso_utc(now), "heartbeat_at": iso_utc(now),
                  "updated_at": iso_utc(now), "lease_expires_at": lease_until(now, self.lease_seconds)},
            "#status = :expected AND #attempt = :attempt", {":expected": PENDING},
        )  # fmt: skip
        return landed

    def renew(self, job: NewJob, now: datetime | None = None) -> dict[str, Any] | None:
        """Extend this attempt's lease; None when renewed, else the record as it is (cancelled, restarted)."""
        now = now or utc_now()
        landed, item = self._update(
            job, {"heartbeat_at": iso_utc(now), "lease_expires_at": lease_until(now, self.lease_seconds)},
            "#status = :expected AND #attempt = :attempt", {":expected": RUNNING},
        )  # fmt: skip
        return None if landed else (item or {})

    def finish(self, job: NewJob, status: str, now: datetime | None = None, **fields: Any) -> bool:
        """Record the attempt's outcome; False if it no longer may (cancelled, restarted, or its lease ran
        out, so readers may already have seen it lost)."""
        now = now or utc_now()
        values = {"status": status, "finished_at": iso_utc(now), "updated_at": iso_utc(now), **fields}
        landed, _ = self._update(
            job, values, "#status = :expected AND #attempt = :attempt AND lease_expires_at >= :now",
            {":expected": RUNNING, ":now": iso_utc(now)},
        )  # fmt: skip
        return landed

    def _update(
        self, job: NewJob, values: dict[str, Any], condition: str, extra: dict[str, Any]
    ) -> tuple[bool, dict[str, Any] | None]:
        params = update_params(values)
        params["ExpressionAttributeNames"].update({"#status": "status", "#attempt": "attempt"})
        params["ExpressionAttributeValues"].update(
            {":attempt": to_attribute(job.attempt), **{k: to_attribute(v) for k, v in extra.items()}}
        )
        return conditional_write(
            self._client, "update_item", self._table, self._writes, _RESOURCE,
            Key=self._key(job.job_id), ConditionExpression=condition, **params,
        )  # fmt: skip

    # -- cancellation --------------------------------------------------------------------------------

    def cancel(
        self, job_id: str, caller: str | None = None, field: str = "cancel_job", now: datetime | None = None
    ) -> dict[str, Any]:
        """Mark the caller's PENDING or RUNNING job CANCELLED and return it; NotFound for an unknown id
        or another caller's job, JobFinished (409) for a job that has ended (lost ones included)."""
        now = now or utc_now()
        values = {"status": CANCELLED, "finished_at": iso_utc(now), "updated_at": iso_utc(now)}
        params = update_params(values)
        params["ExpressionAttributeNames"].update({"#status": "status", "#caller": "caller"})
        params["ExpressionAttributeValues"].update(
            {":p": to_attribute(PENDING), ":r": to_attribute(RUNNING), ":now": to_attribute(iso_utc(now))}
        )
        if caller:
            params["ExpressionAttributeValues"][":caller"] = to_attribute(caller)
            owner = "#caller = :caller"
        else:
            owner = "attribute_not_exists(#caller)"
        landed, item = conditional_write(
            self._client, "update_item", self._table, self._writes, _RESOURCE,
            Key=self._key(job_id), ReturnValues="ALL_NEW",
            ConditionExpression=f"{owner} AND #status IN (:p, :r) AND lease_expires_at >= :now", **params,
        )  # fmt: skip
        if landed and item is not None:
            return item
        job = owned_job(item, caller, job_id, field)
        view = job_view(job, now)
        raise JobFinished(
            f"job {job_id} has already finished ({view['status']}); only a PENDING or RUNNING job can be "
            "cancelled",
            field=field,
            job_id=job_id,
            status=view["status"],
        )

    # -- keys ----------------------------------------------------------------------------------------

    def _key(self, job_id: str) -> dict[str, Any]:
        return {"id": {"S": JOB_KEY_PREFIX + job_id}}

    def _ttl(self, now: datetime) -> int:
        return int((now + timedelta(days=self._ttl_days)).timestamp())
