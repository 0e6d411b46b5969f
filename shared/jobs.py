"""Async jobs: work that outlives the request, tracked in DynamoDB and kept alive with HealthyBusy.

Job records are typed items in the sink table (`id` = "job#<job_id>", `item_type` = "job"), so one table,
one TTL and one IAM resource cover both; an IAM condition on the key prefix can limit readers to jobs.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from .arithmetic import Number
from .errors import AppError, InvalidInput, NotFound
from .records import SumRecord, iso_utc, utc_now
from .settings import DEFAULT_TTL_DAYS, MAX_DELAY_SECONDS
from .sinks import error_code, to_attribute, translate_errors

logger = logging.getLogger(__name__)
_deserialize = TypeDeserializer().deserialize

PENDING, RUNNING, SUCCEEDED, FAILED = "PENDING", "RUNNING", "SUCCEEDED", "FAILED"
JOB_KEY_PREFIX = "job#"
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_KEY_NAMESPACE = uuid.UUID("6f1c1f57-8f6b-4d39-9a55-2f4a0b8c3e21")
# How many times a finished job's final state is written before giving up (the log keeps the rest).
_FINAL_WRITE_ATTEMPTS = 5


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


def job_view(item: dict[str, Any]) -> dict[str, Any]:
    """Return the public JSON view of a job item (used by the runtime and the API proxy alike)."""
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
        try:
            with translate_errors("DynamoDB table", self._table):
                self._client.put_item(
                    TableName=self._table,
                    Item={k: to_attribute(v) for k, v in item.items()},
                    # Conditional: concurrent submissions with one key start the work exactly once.
                    ConditionExpression="attribute_not_exists(id)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except AppError as exc:
            cause = exc.__cause__
            if not isinstance(cause, ClientError) or error_code(cause) != "ConditionalCheckFailedException":
                raise
            old = cause.response.get("Item")
            if not old:
                raise
            return {k: _deserialize(v) for k, v in old.items()}, False
        return item, True

    def get(self, job_id: str) -> dict[str, Any]:
        """Return the job record (strongly consistent read) or raise NotFound."""
        with translate_errors("DynamoDB table", self._table, action="read"):
            got = self._client.get_item(
                TableName=self._table, Key={"id": {"S": JOB_KEY_PREFIX + job_id}}, ConsistentRead=True
            )
        item = got.get("Item")
        if not item:
            raise NotFound(f"no job with id {job_id}", field="job_status", job_id=job_id)
        return {k: _deserialize(v) for k, v in item.items()}

    def transition(self, job_id: str, status: str, **fields: Any) -> None:
        """Set the job's status (and the given fields), stamping updated_at."""
        now = iso_utc(utc_now())
        values = {"status": status, "updated_at": now, **fields}
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


# The job's work: returns the fields recorded with SUCCEEDED (e.g. result, result_item_id).
Work = Callable[[NewJob], dict[str, Any]]


class BackgroundRunner:
    """Runs a job's work on a thread, registered with the app so /ping says HealthyBusy meanwhile."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def start(self, store: JobStore, job: NewJob, work: Work) -> None:
        """Register the task, then run it; the task is completed whatever happens."""
        task_id = self._app.add_async_task("sum-job", {"job_id": job.job_id})
        try:
            thread = threading.Thread(
                target=self._run, args=(store, job, work, task_id), name=f"job-{job.job_id}", daemon=True
            )
            thread.start()
        except BaseException:
            self._app.complete_async_task(task_id)
            raise

    def _run(
        self, store: JobStore, job: NewJob, work: Callable[[NewJob], dict[str, Any]], task_id: int
    ) -> None:
        try:
            store.transition(job.job_id, RUNNING, started_at=iso_utc(utc_now()))
            outcome = work(job)
            self._finish(store, job.job_id, SUCCEEDED, finished_at=iso_utc(utc_now()), **outcome)
        except AppError as exc:
            logger.error("job %s failed: %s (%s)", job.job_id, exc.message, exc.code)
            self._finish(store, job.job_id, FAILED, error_code=exc.code, error_message=exc.message,
                         finished_at=iso_utc(utc_now()))  # fmt: skip
        except Exception as exc:
            logger.exception("job %s crashed", job.job_id)
            self._finish(store, job.job_id, FAILED, error_code="InternalError",
                         error_message=f"the job crashed ({type(exc).__name__}); see the runtime logs",
                         finished_at=iso_utc(utc_now()))  # fmt: skip
        finally:
            self._app.complete_async_task(task_id)

    @staticmethod
    def _finish(store: JobStore, job_id: str, status: str, **fields: Any) -> None:
        for attempt in range(1, _FINAL_WRITE_ATTEMPTS + 1):
            try:
                store.transition(job_id, status, **fields)
                return
            except AppError as exc:
                logger.error(
                    "job %s: writing %s failed (attempt %d): %s", job_id, status, attempt, exc.message
                )
                threading.Event().wait(min(2**attempt, 30))
        logger.critical("job %s: could not record %s; the job record is stale", job_id, status)


def submit_job(
    runner: BackgroundRunner, store: JobStore, record: SumRecord, options: JobOptions, delay: int, work: Work
) -> Any:
    """Create the job once per id and start it: 202 with a new job, 200 with the one that exists."""
    # Imported here: the step 5 Lambda imports this module (job_view) without the AgentCore SDK.
    from .runtime import json_response

    job = NewJob(
        job_id=job_id_for(record.request_id, options.idempotency_key),
        a=record.a,
        b=record.b,
        request_id=record.request_id,
        session_id=record.session_id,
        idempotency_key=options.idempotency_key,
        delay_seconds=delay,
    )
    stored, created = store.create(job)
    if created:
        runner.start(store, job, work)
    return json_response(job_view(stored), status=202 if created else 200)
