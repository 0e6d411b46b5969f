"""What both step 6 Lambdas do with the runtime: submit one step 4 async job per source id (an event's id, a
queue message's id) and read what the runtime answered.

The source id is the job's idempotency key and names its runtime session, so a redelivered event or
message finds the job its first delivery started instead of starting a second one.
"""

import functools
import logging

from shared.core.errors import AppError, InvalidInput, error_type
from shared.core.jsonnum import dumps_exact
from shared.core.validation import checked_sum
from shared.jobs.model import FINISHED, check_job_id, parse_job_options
from shared.runtime import (
    AgentRuntime,
    RuntimeCallSettings,
    RuntimeTarget,
    new_runtime_client,
    runtime_config,
)
from shared.runtime.errors import AgentResponseInvalid
from shared.runtime.sessions import derived_session_id

logger = logging.getLogger("shared")

# What an event's detail or a message's body may hold: step 4's job request without its async fields,
# which this step sets itself (mode, and the idempotency key derived from the source id).
REQUEST_FIELDS = ("prompt", "delay_seconds")
# An idempotency key is 1 to 256 printable characters (step 4): room for the prefix.
MAX_SOURCE_ID_CHARS = 200


@functools.cache
def runtime_client():
    """This container's bedrock-agentcore client, built on first use."""
    return new_runtime_client(runtime_config(RuntimeCallSettings.from_env()))


def runtime(context):
    """The runtime this function invokes (the function ARN gives AGENT_RUNTIME_ID its account and region)."""
    target = RuntimeTarget.from_env(context.invoked_function_arn)
    return AgentRuntime(runtime_client(), target.runtime_arn, target.qualifier)


def source_id(value, field):
    """Validate the id a job is keyed by (an event id, a message id); raise InvalidInput naming the field."""
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_SOURCE_ID_CHARS or not value.isprintable():
        raise InvalidInput(
            f"{field} must be a printable string of 1 to {MAX_SOURCE_ID_CHARS} characters", field=field
        )
    return value


def job_request(body, idempotency_key, where):
    """Step 4's async job request for a detail or body; else InvalidInput naming `where`.<field>."""
    try:
        checked_sum(body)  # an object with numbers a and b whose sum DynamoDB can store
        unknown = sorted(set(body) - set(REQUEST_FIELDS))
        if unknown:
            raise InvalidInput(
                f"{unknown[0]} is not a field of a job request; send prompt (and delay_seconds)",
                field=unknown[0],
            )
        request = {name: body[name] for name in REQUEST_FIELDS if name in body}
        request.update(mode="async", idempotency_key=idempotency_key)
        parse_job_options(request)  # delay_seconds and the key, checked as the runtime checks them
    except InvalidInput as exc:
        field = where if exc.field in (None, "$") else f"{where}.{exc.field}"
        raise InvalidInput(f"{where}: {exc.message}", field=field) from exc
    return request


def submit(target, request, source, session_prefix):
    """Submit the job in the source's session; return the job as the runtime answered (202: started here)."""
    session_id = derived_session_id(session_prefix, source)
    answer = target.invoke(dumps_exact(request).encode(), session_id)
    if not answer.ok:
        raise refusal(answer.status, answer.body["error"])
    job = answer.body
    if not isinstance(job, dict) or not isinstance(job.get("status"), str):
        raise AgentResponseInvalid("the runtime did not answer with a job (is it step 4?)")
    try:
        check_job_id(job.get("job_id"), field="job_id")
    except InvalidInput as exc:
        raise AgentResponseInvalid("the runtime answered with an invalid job id") from exc
    if answer.status != 202 and job["status"] in FINISHED:
        # A redelivery of a finished job: the job's session ended with it and this call opened a new one,
        # which runs nothing. End it now rather than let it idle, billed, until its idle timeout.
        end_session(target, session_id)
    return job


def end_session(target, session_id):
    """StopRuntimeSession on a session this function opened; a failure is logged (it idles out instead)."""
    try:
        target.stop_session(session_id)
    except AppError as exc:
        logger.warning("could not end runtime session %s (%s): %s", session_id, exc.code, exc.message)


def refusal(status, error):
    """The agent's own 4xx as an exception named by its code (what Step Functions and the logs show)."""
    code = str(error.get("code") or "AgentRejectedRequest")
    kind = (
        InvalidInput if code == InvalidInput.code else error_type(code, status, "The agent refused the job.")
    )
    return kind(str(error.get("message") or "the agent refused the job"), field=error.get("field"))
