"""Step 6: the Lambda the state machine starts a job with. It submits step 4's async job for one event
through InvokeAgentRuntime and returns at once; the state machine then polls the job's record itself.

Input (the state machine's): {"event_id": "<the EventBridge event's id>", "detail": {"prompt": {"a": 7,
"b": 2}}, ...}. The event id is the job's idempotency key and names its runtime session, so a redelivered
event starts no second job. Output: {"job_id", "status"}. Bad input raises InvalidInput (the execution
fails naming it); a runtime error raises its code (Throttled, RuntimeUnavailable, ...), which the state
machine retries when it is transient.
"""

from aws_lambda_powertools import Logger
from submission import job_request, runtime, source_id, submit

from shared.core.settings import log_level

logger = Logger(service="agentcore-event-starter", level=log_level())

# The key and the session of an event's job (a message's are "sqs:..."): one job per event id.
KEY_PREFIX = "event:"
SESSION_PREFIX = "eventbridge-"


@logger.inject_lambda_context
def handler(event, context):
    """Submit the event's job and return {"job_id", "status"} without waiting for it."""
    given = event if isinstance(event, dict) else {}
    event_id = source_id(given.get("event_id"), "event_id")
    request = job_request(given.get("detail"), KEY_PREFIX + event_id, "detail")
    job = submit(runtime(context), request, event_id, SESSION_PREFIX)
    logger.info(
        "job submitted", extra={"event_id": event_id, "job_id": job["job_id"], "status": job["status"]}
    )
    return {"job_id": job["job_id"], "status": job["status"]}
