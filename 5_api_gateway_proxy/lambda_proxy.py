"""Step 5: API Gateway (REST, proxy integration) -> this Lambda -> InvokeAgentRuntime.

POST /calculate validates {"prompt": {"a": <number>, "b": <number>}} with the agents' own validator and
invokes the runtime once; POST /jobs starts the same work as an async job (202 + Location); GET /jobs/{id}
reads the job record straight from DynamoDB and DELETE /jobs/{id} cancels it. With inbound auth
(CALLER_IDENTITY), jobs, idempotency keys and sessions belong to one caller each. Routing, CORS and
errors are Powertools' event handler.
"""

import functools
import os
import re

import api_schema
from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from shared.apigw import json_payload, new_resolver, reply, request_id, routed
from shared.apigw.callers import caller_of
from shared.apigw.settings import ALLOWED_ORIGIN, JOBS_TABLE_NAME, CallerSettings, session_secret
from shared.aws import new_client
from shared.core.errors import AppError, InvalidInput
from shared.core.jsonnum import dumps_exact
from shared.core.records import utc_now
from shared.core.settings import log_level, require
from shared.core.validation import checked_sum
from shared.jobs import JobSettings, JobStore
from shared.jobs.model import PENDING, check_fits_lifetime, check_job_id, job_view, parse_job_options
from shared.jobs.store import JOB_READS, READ_CONFIG
from shared.runtime import (
    AgentRuntime,
    RuntimeCallSettings,
    RuntimeTarget,
    new_runtime_client,
    runtime_config,
)
from shared.runtime.errors import AgentResponseInvalid
from shared.runtime.sessions import fresh_session_id, scoped_session_id

logger = Logger(service="agentcore-proxy", level=log_level())
app = new_resolver(os.environ.get(ALLOWED_ORIGIN, "").strip() or "*", logger)

SESSION_HEADER = "X-Session-Id"
# A caller's own session id: 33 to 256 header-safe characters (it never reaches the runtime as it is).
SESSION_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{32,255}")
# Every job gets its own runtime session (so its own microVM, kept alive while it says HealthyBusy);
# a request without X-Session-Id gets one for itself, ended after the answer.
JOB_SESSION_PREFIX = "apigw-job-"
ONE_OFF_SESSION_PREFIX = "apigw-once-"
# What POST /jobs accepts; anything else (e.g. "job_status", a status query to the runtime, or "caller",
# which only this proxy names) is refused.
JOB_FIELDS = frozenset({"prompt", "mode", "delay_seconds", "idempotency_key"})
# What POST /calculate accepts: a synchronous sum takes the prompt alone (a delay or a mode is a job's).
CALCULATE_FIELDS = frozenset({"prompt"})


def refuse_unknown(payload, fields, what):
    """400 naming the first field the route would otherwise ignore, and what it accepts."""
    unknown = sorted(set(payload) - fields)
    if unknown:
        hint = " (a delay or a mode belongs to POST /jobs)" if fields is CALCULATE_FIELDS else ""
        raise InvalidInput(
            f"{unknown[0]} is not a field of {what}{hint}; send {{{', '.join(sorted(fields))}}}",
            field=unknown[0],
        )


@functools.cache
def runtime_client():
    """This container's bedrock-agentcore client, built on first use."""
    return new_runtime_client(runtime_config(RuntimeCallSettings.from_env()))


@functools.cache
def jobs_client():
    """This container's DynamoDB client for job reads, built on first use."""
    return new_client("dynamodb", READ_CONFIG)


def reset_client():
    """Forget the cached clients (tests that change endpoints or stubs)."""
    runtime_client.cache_clear()
    jobs_client.cache_clear()


def runtime():
    """The runtime behind this API (the function ARN supplies account and region for AGENT_RUNTIME_ID)."""
    target = RuntimeTarget.from_env(app.lambda_context.invoked_function_arn)
    return AgentRuntime(runtime_client(), target.runtime_arn, target.qualifier)


def current_caller():
    """Who is calling, as CALLER_IDENTITY says to read it (None: every caller is one tenant)."""
    return caller_of(app.current_event.raw_event.get("requestContext"), CallerSettings.from_env().identity)


def callers_session(caller):
    """The caller's X-Session-Id (validated) and its runtime session id; (None, None) without one."""
    given = app.current_event.headers.get(SESSION_HEADER)
    if given is None:
        return None, None
    if not SESSION_ID_RE.fullmatch(given):
        raise InvalidInput(
            "X-Session-Id must be 33 to 256 characters of letters, digits, '.', '_', ':' or '-'",
            field="headers.X-Session-Id",
        )
    # Never the caller's id itself: another caller sending the same id must land somewhere else.
    return given, scoped_session_id(session_secret(), caller, given)


def end_session(target, session_id):
    """StopRuntimeSession on a session this proxy opened; a failure is logged (it idles out instead)."""
    try:
        target.stop_session(session_id)
    except AppError as exc:
        logger.warning("could not end a runtime session", extra={"code": exc.code, "session": session_id})


def started_here(answer, session_id, caller):
    """Whether the runtime started the job in the session of this submission.

    202 says so. 200 with a PENDING job is ambiguous: a job another submission has just started (or
    restarted) is PENDING for a moment, and whether the service relays the container's 202 as 202 is not
    documented. Then the job's record says which session runs it.
    """
    if answer.status == 202:
        return True
    job = answer.body if answer.ok else None
    if not (isinstance(job, dict) and job.get("status") == PENDING and isinstance(job.get("job_id"), str)):
        return False
    try:
        record = job_store().get(check_job_id(job["job_id"], field="job_id"), caller)
    except AppError as exc:
        # Cannot tell: keep the session (its idle timeout ends it) rather than risk ending a job's.
        logger.warning("could not tell where a PENDING job runs", extra={"code": exc.code})
        return True
    return record.get("session_id") == session_id


def job_store(writes=JOB_READS):
    """The job records (the step 4 table), read and cancelled from this container's client."""
    return JobStore(jobs_client(), require(JOBS_TABLE_NAME), writes=writes)


def job_id_param():
    """The {id} path parameter as API Gateway decoded it, validated."""
    raw_id = (app.current_event.path_parameters or {}).get("id")  # see shared.apigw.routed
    try:
        return check_job_id(raw_id, field="path.id")
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="path.id", expected="/jobs/<job_id from POST /jobs>") from exc


def passed_on(answer):
    """The agent's own 4xx answer, as it wrote it (with this request's id)."""
    body = {"error": {**answer.body["error"], "request_id": request_id(app)}}
    return reply(app, answer.status, body)


@app.post("/calculate", **api_schema.CALCULATE)
def calculate():
    """Validate, invoke the runtime once, wrap its answer."""
    payload = json_payload(app)
    checked_sum(payload)  # Bad input (an unstorable sum too) never reaches the runtime.
    refuse_unknown(payload, CALCULATE_FIELDS, "a calculate request")
    given, session_id = callers_session(current_caller())
    one_off = fresh_session_id(ONE_OFF_SESSION_PREFIX)
    target = runtime()
    try:
        answer = target.invoke(dumps_exact({"prompt": payload["prompt"]}).encode(), session_id or one_off)
    finally:
        if session_id is None:
            # A session opened for this one request: ended now, not billed idle until its timeout.
            end_session(target, one_off)
    if not answer.ok:
        return passed_on(answer)
    body = {"success": True, "data": answer.body, "request_id": request_id(app)}
    return reply(app, 200, body, {SESSION_HEADER: given} if given else None)


@app.post("/jobs", **api_schema.SUBMIT_JOB)
def submit_job():
    """Start an async job on the runtime in a fresh session: 202 + Location (200 for a known key)."""
    payload = json_payload(app)
    checked_sum(payload)
    refuse_unknown(payload, JOB_FIELDS, "a job request")
    if payload.get("mode", "async") != "async":
        raise InvalidInput('POST /jobs always runs asynchronously: omit mode or send "async"', field="mode")
    # botocore retries a failed InvokeAgentRuntime; a key tied to this API request makes those retries
    # return the job the first attempt started instead of starting a second one.
    forwarded = {**payload, "mode": "async"}
    if forwarded.get("idempotency_key") is None:
        forwarded["idempotency_key"] = f"apigw-request:{request_id(app)}"
    options = parse_job_options(forwarded)
    if options.delay_seconds is not None:
        # The job's session is new: it has all of maxLifetime, and not a second more.
        check_fits_lifetime(options.delay_seconds, JobSettings.from_env().max_lifetime)
    caller = current_caller()
    if caller is not None:
        # The runtime scopes keys and jobs by it; only this proxy names it (JOB_FIELDS refuses it).
        forwarded["caller"] = caller
    session_id = fresh_session_id(JOB_SESSION_PREFIX)
    target = runtime()
    answer = target.invoke(dumps_exact(forwarded).encode(), session_id)
    if not started_here(answer, session_id, caller):
        # No work started in this session (a known key, or a refusal): end it now.
        end_session(target, session_id)
    if not answer.ok:
        return passed_on(answer)
    job = answer.body
    if not isinstance(job, dict) or not isinstance(job.get("status"), str):
        raise AgentResponseInvalid("the runtime did not answer with a job (is it step 4?)")
    try:
        job_id = check_job_id(job.get("job_id"), field="job_id")
    except InvalidInput as exc:
        raise AgentResponseInvalid("the runtime answered with an invalid job id") from exc
    # 202 for a job this request started; the runtime answers 200 for one that already existed.
    status = 202 if answer.status == 202 else 200
    return reply(app, status, job, {"Location": f"/jobs/{job_id}"})


@app.get("/jobs/<id>", **api_schema.GET_JOB)
def get_job(id: str):
    """The caller's job record from DynamoDB (no runtime call); 404 for an unknown id or another's job."""
    record = job_store().get(job_id_param(), current_caller(), field="path.id")
    return reply(app, 200, job_view(record, utc_now()))


@app.delete("/jobs/<id>", **api_schema.CANCEL_JOB)
def cancel_job(id: str):
    """Cancel the caller's job: CANCELLED in DynamoDB, then its session ended (its work with it)."""
    record = job_store().cancel(job_id_param(), current_caller(), field="path.id")
    if record.get("session_id"):
        end_session(runtime(), record["session_id"])
    return reply(app, 200, job_view(record, utc_now()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event, context):
    """Lambda entry point for API Gateway REST proxy (v1) events."""
    return app.resolve(routed(event), context)
