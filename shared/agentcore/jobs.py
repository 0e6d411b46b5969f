"""Async jobs on the runtime: the work runs on a thread, registered with the app so /ping says HealthyBusy."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from ..aws.jobstore import JobStore
from ..core.errors import AppError
from ..core.jobs import FAILED, RUNNING, SUCCEEDED, JobOptions, NewJob, job_id_for, job_view
from ..core.records import SumRecord, iso_utc, utc_now
from .endpoint import json_response, log_error

__all__ = ["BackgroundRunner", "Work", "submit_job"]

logger = logging.getLogger("shared")
# How many times a finished job's final state is written before giving up (the log keeps the rest).
_FINAL_WRITE_ATTEMPTS = 5

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
        except Exception as exc:
            error = (
                exc
                if isinstance(exc, AppError)
                else AppError(f"the job crashed ({type(exc).__name__}); see the runtime logs")
            )
            log_error(error, exc, where=f"job {job.job_id}")
            self._finish(store, job.job_id, FAILED, error_code=error.code, error_message=error.message,
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
