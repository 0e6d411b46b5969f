"""Job records in DynamoDB: created once per job id, read consistently, moved from status to status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from botocore.config import Config

from ..core.errors import NotFound, error_type
from ..core.jobs import JOB_KEY_PREFIX, PENDING, NewJob
from ..core.records import iso_utc, utc_now
from ..core.settings import DEFAULT_TTL_DAYS
from .dynamodb import from_item, put_once, to_attribute
from .errors import Translation, translate_errors

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
JobStoreThrottled = error_type("JobStoreThrottled", 503, "DynamoDB kept throttling job reads.", retry_after=1)
JobStoreUnavailable = error_type(
    "JobStoreUnavailable", 503, "The jobs table could not be read.", retry_after=2
)
JobStoreMisconfigured = error_type(
    "JobStoreMisconfigured", 500, "The jobs table is missing, or the caller may not read it."
)
# A failed read is never "no such job": a missing table or a denied read is a deployment problem.
JOB_READS = Translation(
    throttled=JobStoreThrottled,
    failed=JobStoreUnavailable,
    by_code=dict.fromkeys(
        ("ResourceNotFoundException", "AccessDeniedException", "ValidationException"), JobStoreMisconfigured
    ),
)


class JobStore:
    """Reads and writes job records in one DynamoDB table."""

    def __init__(self, client: Any, table_name: str, ttl_days: int = DEFAULT_TTL_DAYS) -> None:
        self._client = client
        self._table = table_name
        self._ttl_days = ttl_days

    def create(self, job: NewJob) -> tuple[dict[str, Any], bool]:
        """Store a PENDING job unless its id exists; return (the stored job, whether this call created it)."""
        now = utc_now()
        item: dict[str, Any] = {
            "id": JOB_KEY_PREFIX + job.job_id,
            "item_type": "job",
            "job_id": job.job_id,
            "status": PENDING,
            "input_a": job.a,
            "input_b": job.b,
            "delay_seconds": job.delay_seconds,
            "request_id": job.request_id,
            "created_at": iso_utc(now),
            "updated_at": iso_utc(now),
            "ttl": int((now + timedelta(days=self._ttl_days)).timestamp()),
        }
        if job.session_id:
            item["session_id"] = job.session_id
        if job.idempotency_key is not None:
            item["idempotency_key"] = job.idempotency_key
        # Conditional: concurrent submissions with one key start the work exactly once.
        return put_once(self._client, self._table, item)

    def get(self, job_id: str, field: str = "job_status") -> dict[str, Any]:
        """Return the job record (strongly consistent read) or raise NotFound naming the request's field."""
        # The table's name stays out of the message: job reads answer API callers directly.
        with translate_errors("DynamoDB", "jobs table", action="read", translation=JOB_READS):
            got = self._client.get_item(
                TableName=self._table, Key={"id": {"S": JOB_KEY_PREFIX + job_id}}, ConsistentRead=True
            )
        item = got.get("Item")
        if not item:
            raise NotFound(f"no job with id {job_id}", field=field, job_id=job_id)
        return from_item(item)

    def transition(self, job_id: str, status: str, **fields: Any) -> None:
        """Set the job's status (and the given fields), stamping updated_at."""
        values = {"status": status, "updated_at": iso_utc(utc_now()), **fields}
        names = {f"#f{i}": name for i, name in enumerate(values)}
        expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(values)))
        with translate_errors("DynamoDB table", self._table):
            self._client.update_item(
                TableName=self._table,
                Key={"id": {"S": JOB_KEY_PREFIX + job_id}},
                UpdateExpression=expression,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={f":v{i}": to_attribute(v) for i, v in enumerate(values.values())},
                ConditionExpression="attribute_exists(id)",
            )
