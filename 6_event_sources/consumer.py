"""Step 6: SQS -> this Lambda (an event source mapping with ReportBatchItemFailures) -> step 4's async jobs.

Each message body is one job request, {"prompt": {"a": 1, "b": 2}} (and optionally "delay_seconds"). The
message id is the job's idempotency key and names its runtime session, so a message delivered twice (a
redelivery, a retried batch) lands one record. A message is done when its job has SUCCEEDED: the consumer
waits for that by reading the job's record (GetItem on job#<id>, no runtime call), up to JOB_WAIT_SECONDS
and its own remaining time. Anything else fails that message only (bad input, a throttled or failed runtime
call, a failed, cancelled or lost job, a job still running): SQS makes it visible again after the queue's
visibility timeout and moves it to the dead-letter queue after maxReceiveCount receives. A lost job is run
again by the redelivery (step 4 restarts a lost job submitted again with its key).

The messages of a batch are handled at the same time (Powertools' AsyncBatchProcessor, each message's
blocking calls on a thread of their own): the function mostly waits, on the runtime and on DynamoDB.
"""

import asyncio
import functools
import time
from dataclasses import dataclass

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    AsyncBatchProcessor,
    EventType,
    async_process_partial_response,
)
from submission import job_request, runtime, submit

from shared.aws import new_client
from shared.core.errors import AppError, InvalidInput, error_type
from shared.core.jsonnum import loads_exact
from shared.core.records import utc_now
from shared.core.settings import int_setting, log_level, require
from shared.jobs import JobStore, job_view
from shared.jobs.model import ACTIVE, SUCCEEDED
from shared.jobs.store import READ_CONFIG

logger = Logger(service="agentcore-queue-consumer", level=log_level())
processor = AsyncBatchProcessor(event_type=EventType.SQS)

JOBS_TABLE_NAME = "JOBS_TABLE_NAME"
JOB_WAIT_SECONDS = "JOB_WAIT_SECONDS"
JOB_POLL_MILLISECONDS = "JOB_POLL_MILLISECONDS"
# A message's key and session (an event's are "event:..."): one job per message id.
KEY_PREFIX = "sqs:"
SESSION_PREFIX = "sqs-message-"
# Time kept back from the function's timeout for reporting the batch.
REPORT_MARGIN_SECONDS = 1.0

JobNotSucceeded = error_type("JobNotSucceeded", 502, "The message's job ended without succeeding.")
JobStillRunning = error_type(
    "JobStillRunning", 503, "The message's job had not finished in time.", retry_after=1
)


@dataclass(frozen=True)
class WaitSettings:
    """How long the consumer waits for a message's job, and how often it reads the job's record."""

    wait_seconds: int
    poll_seconds: float

    @classmethod
    def from_env(cls):
        """Read JOB_WAIT_SECONDS (0-900, default 20) and JOB_POLL_MILLISECONDS (50-10,000, default 500)."""
        return cls(
            wait_seconds=int_setting(JOB_WAIT_SECONDS, 20, 0, 900),
            poll_seconds=int_setting(JOB_POLL_MILLISECONDS, 500, 50, 10_000) / 1000,
        )


@functools.cache
def job_store():
    """The job records (the step 4 table), read from this container's client."""
    return JobStore(new_client("dynamodb", READ_CONFIG), require(JOBS_TABLE_NAME))


def message_request(record):
    """The job request a message carries; InvalidInput naming the field when its body is not one."""
    try:
        body = loads_exact(record.body)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput("body: the message body is not JSON", field="body") from exc
    return job_request(body, KEY_PREFIX + record.message_id, "body")


def wait_for(job, deadline, every):
    """The job as readers see it (a lost job as FAILED JobLost), once it has ended or the deadline passed."""
    view = job
    while view["status"] in ACTIVE and time.monotonic() < deadline:
        time.sleep(min(every, max(0.0, deadline - time.monotonic())))
        view = job_view(job_store().get(job["job_id"]), utc_now())
    return view


def handle_message(record, lambda_context):
    """One message: submit its job, wait for it; raise (this message fails) unless it SUCCEEDED."""
    try:
        request = message_request(record)
        job = submit(runtime(lambda_context), request, record.message_id, SESSION_PREFIX)
        settings = WaitSettings.from_env()
        left = lambda_context.get_remaining_time_in_millis() / 1000 - REPORT_MARGIN_SECONDS
        view = wait_for(job, time.monotonic() + min(settings.wait_seconds, left), settings.poll_seconds)
        if view["status"] in ACTIVE:
            raise JobStillRunning(f"job {view['job_id']} is still {view['status']}; the message comes back")
        if view["status"] != SUCCEEDED:
            code = (view.get("error") or {}).get("code") or view["status"]
            raise JobNotSucceeded(
                f"job {view['job_id']} ended {view['status']} ({code})", job_id=view["job_id"]
            )
    except AppError as exc:
        logger.warning(
            "message failed", extra={"message_id": record.message_id, "code": exc.code, "reason": exc.message}
        )
        raise
    logger.info(
        "message done",
        extra={"message_id": record.message_id, "job_id": view["job_id"], "result": view["result"]},
    )
    return view


async def record_handler(record, lambda_context):
    """One message, on a thread of its own (its calls block), beside the batch's other messages."""
    return await asyncio.to_thread(handle_message, record, lambda_context)


@logger.inject_lambda_context
def handler(event, context):
    """SQS batch: {"batchItemFailures": [...]} names the messages to redeliver (none: all done)."""
    return async_process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
