"""Async jobs on the runtime: the work runs on a thread, registered with the app so /ping says HealthyBusy,
while a heartbeat thread renews the job's lease and tells the work to stop once the job is cancelled.

When the last job of a session has ended, the session is ended too (StopRuntimeSession on itself, see
`own_session`), so a finished or cancelled job leaves no microVM idling.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from ..agentcore.endpoint import json_response, log_error
from ..core.errors import AppError, InvalidInput
from ..core.records import utc_now
from .model import (
    CANCELLED,
    FAILED,
    SUCCEEDED,
    NewJob,
    check_caller,
    check_fits_lifetime,
    check_job_id,
    job_from_item,
    job_view,
)
from .own_session import OwnSession, process_age
from .settings import JobSettings
from .store import JobStore

__all__ = [
    "BackgroundRunner",
    "JobControl",
    "Work",
    "cancel_job",
    "job_status",
    "payload_caller",
    "submit_job",
]

logger = logging.getLogger("shared")
# How many times a finished job's final state is written before giving up (the log keeps the rest).
_FINAL_WRITE_ATTEMPTS = 5
# Why a job's work is told to stop: the job was cancelled, or another attempt owns it now.
SUPERSEDED = "superseded"


class JobControl:
    """What a job's work sees: whether it must stop (cancelled, superseded), and a wait that ends then."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self.reason: str | None = None

    def stop(self, reason: str) -> None:
        """Tell the work to stop (the first reason given is kept)."""
        if self.reason is None:
            self.reason = reason
        self._stop.set()

    @property
    def stopped(self) -> bool:
        """Whether the work has been told to stop."""
        return self._stop.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True if told to stop meanwhile (then stop working)."""
        return self._stop.wait(seconds)


# The job's work: returns the fields recorded with SUCCEEDED (e.g. result, result_item_id), or None when
# it stopped because control told it to.
Work = Callable[[NewJob, JobControl], "dict[str, Any] | None"]


class BackgroundRunner:
    """Runs jobs on threads (HealthyBusy meanwhile), renews their leases, ends their sessions after them."""

    def __init__(self, app: Any, own_session: OwnSession | None = None) -> None:
        self._app = app
        self._own = own_session if own_session is not None else OwnSession.from_env()
        self._running: Counter[str] = Counter()
        self._lock = threading.Lock()

    def start(self, store: JobStore, job: NewJob, work: Work, heartbeat_seconds: float) -> None:
        """Register the task, then run it; the task is completed whatever happens."""
        task_id = self._app.add_async_task("sum-job", {"job_id": job.job_id})
        with self._lock:
            self._running[job.session_id or ""] += 1
        try:
            thread = threading.Thread(
                target=self._run, args=(store, job, work, task_id, heartbeat_seconds),
                name=f"job-{job.job_id}", daemon=True,
            )  # fmt: skip
            thread.start()
        except BaseException:
            self._done(job, task_id)
            raise

    def _run(self, store: JobStore, job: NewJob, work: Work, task_id: int, heartbeat_seconds: float) -> None:
        control = JobControl()
        try:
            if not store.start(job):
                logger.info(
                    "job %s attempt %d: cancelled or restarted before it started", job.job_id, job.attempt
                )
                return
            threading.Thread(
                target=self._heartbeat, args=(store, job, control, heartbeat_seconds),
                name=f"lease-{job.job_id}", daemon=True,
            ).start()  # fmt: skip
            outcome = work(job, control)
            if outcome is None or control.stopped:
                logger.info("job %s attempt %d stopped: %s", job.job_id, job.attempt, control.reason)
                return
            self._finish(store, job, SUCCEEDED, **outcome)
        except Exception as exc:
            error = (
                exc
                if isinstance(exc, AppError)
                else AppError(f"the job crashed ({type(exc).__name__}); see the runtime logs")
            )
            log_error(error, exc, where=f"job {job.job_id}")
            if not control.stopped:
                self._finish(store, job, FAILED, error_code=error.code, error_message=error.message)
        finally:
            control.stop("finished")  # ends the heartbeat
            self._done(job, task_id)

    @staticmethod
    def _heartbeat(store: JobStore, job: NewJob, control: JobControl, every: float) -> None:
        """Renew the lease until the work ends; stop the work when the job is cancelled or superseded."""
        while not control.wait(every):
            try:
                current = store.renew(job)
            except AppError as exc:
                # One missed beat is not fatal: the lease outlasts three of them.
                logger.warning("job %s: renewing its lease failed: %s", job.job_id, exc.message)
                continue
            if current is not None:
                control.stop(CANCELLED if current.get("status") == CANCELLED else SUPERSEDED)

    def _done(self, job: NewJob, task_id: int) -> None:
        self._app.complete_async_task(task_id)
        session = job.session_id or ""
        with self._lock:
            self._running[session] -= 1
            last = self._running[session] <= 0
            if last:
                del self._running[session]
        if last and session and self._own is not None:
            # The job's session has nothing left to do: end it rather than let it idle, billed.
            self._own.end(session)

    @staticmethod
    def _finish(store: JobStore, job: NewJob, status: str, **fields: Any) -> None:
        for attempt in range(1, _FINAL_WRITE_ATTEMPTS + 1):
            try:
                if not store.finish(job, status, **fields):
                    logger.error(
                        "job %s attempt %d: %s not recorded: the job was cancelled, restarted or its lease "
                        "ran out meanwhile", job.job_id, job.attempt, status,
                    )  # fmt: skip
                return
            except AppError as exc:
                logger.error(
                    "job %s: writing %s failed (attempt %d): %s", job.job_id, status, attempt, exc.message
                )
                threading.Event().wait(min(2**attempt, 30))
        logger.critical("job %s: could not record %s; readers will see it lost", job.job_id, status)


def payload_caller(payload: dict[str, Any]) -> str | None:
    """The caller a trusted front (the step 5 proxy) names in the payload; None: the one tenant."""
    return check_caller(payload.get("caller"))


def submit_job(
    runner: BackgroundRunner, store: JobStore, job: NewJob, work: Work, settings: JobSettings
) -> Any:
    """Create the job once per (caller, key) and start it: 202 with a job this call started (a new one,
    or a lost one run again), 200 with the one that exists; 400 for a job its session cannot finish."""
    check_fits_lifetime(job.delay_seconds, settings.max_lifetime, process_age())
    stored, run = store.submit(job)
    if run:
        runner.start(store, job_from_item(stored), work, settings.heartbeat_seconds)
    return json_response(job_view(stored, utc_now()), status=202 if run else 200)


def job_status(store: JobStore, payload: dict[str, Any]) -> dict[str, Any]:
    """`{"job_status": id}`: the caller's job as readers see it (a lost job as FAILED JobLost)."""
    job_id = check_job_id(payload["job_status"])
    return job_view(store.get(job_id, payload_caller(payload)), utc_now())


def cancel_job(store: JobStore, payload: dict[str, Any]) -> dict[str, Any]:
    """`{"cancel_job": id}`: mark the caller's job CANCELLED; its worker stops at its next heartbeat and
    then ends its session. 404 for an unknown id, 409 for a job that has ended."""
    job_id = check_job_id(payload["cancel_job"], field="cancel_job")
    if set(payload) - {"cancel_job", "caller"}:
        extra = sorted(set(payload) - {"cancel_job", "caller"})[0]
        raise InvalidInput(f"{extra} is not a field of a cancel request", field=extra)
    return job_view(store.cancel(job_id, payload_caller(payload)), utc_now())
