"""Step 5: API Gateway (REST, proxy integration) -> this Lambda -> InvokeAgentRuntime.

POST /calculate validates {"prompt": {"a": <number>, "b": <number>}} with the agents' own validator and
invokes the runtime once; POST /jobs starts the same work as an async job (202 + Location); GET /jobs/{id}
reads the job record straight from DynamoDB. Routing, CORS and errors are Powertools' event handler.
"""

import functools
import os
import re
import uuid

import api_schema
from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from shared.apigw import json_payload, new_resolver, reply, request_id, routed
from shared.aws import JobStore, new_client
from shared.aws.jobstore import READ_CONFIG
from shared.aws.runtime_client import AgentResponseInvalid, AgentRuntime, new_runtime_client, runtime_config
from shared.core.errors import InvalidInput
from shared.core.jobs import check_job_id, job_view, parse_job_options
from shared.core.jsonnum import dumps_exact
from shared.core.settings import (
    ALLOWED_ORIGIN,
    JOBS_TABLE_NAME,
    ProxySettings,
    RuntimeCallSettings,
    log_level,
    require,
)
from shared.core.validation import checked_sum

logger = Logger(service="agentcore-proxy", level=log_level())
app = new_resolver(os.environ.get(ALLOWED_ORIGIN, "").strip() or "*", logger)

SESSION_HEADER = "X-Session-Id"
# InvokeAgentRuntime's runtimeSessionId is 33 to 256 characters; also keep it header-safe.
SESSION_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{32,255}")
# Every job gets its own runtime session (so its own microVM, kept alive while it says HealthyBusy).
JOB_SESSION_PREFIX = "apigw-job-"
# What POST /jobs accepts; anything else (e.g. "job_status", a status query to the runtime) is refused.
JOB_FIELDS = frozenset({"prompt", "mode", "delay_seconds", "idempotency_key"})


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
    target = ProxySettings.from_env(app.lambda_context.invoked_function_arn)
    return AgentRuntime(runtime_client(), target.runtime_arn, target.qualifier)


def caller_session_id():
    """The caller's X-Session-Id when valid, else a fresh one (one session per request)."""
    given = app.current_event.headers.get(SESSION_HEADER)
    if given is None:
        return f"apigw-{uuid.uuid4()}"
    if not SESSION_ID_RE.fullmatch(given):
        raise InvalidInput(
            "X-Session-Id must be 33 to 256 characters of letters, digits, '.', '_', ':' or '-'",
            field="headers.X-Session-Id",
        )
    return given


def passed_on(answer):
    """The agent's own 4xx answer, as it wrote it (with this request's id)."""
    body = {"error": {**answer.body["error"], "request_id": request_id(app)}}
    return reply(app, answer.status, body)


@app.post("/calculate", **api_schema.CALCULATE)
def calculate():
    """Validate, invoke the runtime once, wrap its answer."""
    payload = json_payload(app)
    checked_sum(payload)  # Bad input (an unstorable sum too) never reaches the runtime.
    session_id = caller_session_id()
    # /calculate is synchronous: only the prompt goes on ("mode" or "job_status" belong to /jobs).
    answer = runtime().invoke(dumps_exact({"prompt": payload["prompt"]}).encode(), session_id)
    if not answer.ok:
        return passed_on(answer)
    body = {"success": True, "data": answer.body, "request_id": request_id(app)}
    return reply(app, 200, body, {SESSION_HEADER: session_id})


@app.post("/jobs", **api_schema.SUBMIT_JOB)
def submit_job():
    """Start an async job on the runtime in a fresh session: 202 + Location (200 for a known key)."""
    payload = json_payload(app)
    checked_sum(payload)
    unknown = sorted(set(payload) - JOB_FIELDS)
    if unknown:
        raise InvalidInput(
            f"{unknown[0]} is not a field of a job request; send {{{', '.join(sorted(JOB_FIELDS))}}}",
            field=unknown[0],
        )
    if payload.get("mode", "async") != "async":
        raise InvalidInput('POST /jobs always runs asynchronously: omit mode or send "async"', field="mode")
    # botocore retries a failed InvokeAgentRuntime; a key tied to this API request makes those retries
    # return the job the first attempt started instead of starting a second one.
    forwarded = {**payload, "mode": "async"}
    if forwarded.get("idempotency_key") is None:
        forwarded["idempotency_key"] = f"apigw-request:{request_id(app)}"
    parse_job_options(forwarded)
    session_id = f"{JOB_SESSION_PREFIX}{uuid.uuid4()}"
    answer = runtime().invoke(dumps_exact(forwarded).encode(), session_id)
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
    return reply(app, status, job, {"Location": f"/jobs/{job_id}", SESSION_HEADER: session_id})


@app.get("/jobs/<id>", **api_schema.GET_JOB)
def get_job(id: str):
    """The job record from DynamoDB (no runtime call); 404 for an unknown id."""
    # API Gateway's decoded path parameter (see shared.apigw.routed).
    raw_id = (app.current_event.path_parameters or {}).get("id")
    try:
        job_id = check_job_id(raw_id, field="path.id")
    except InvalidInput as exc:
        raise InvalidInput(
            exc.message, field="path.id", expected="GET /jobs/<job_id from POST /jobs>"
        ) from exc
    record = JobStore(jobs_client(), require(JOBS_TABLE_NAME)).get(job_id, field="path.id")
    return reply(app, 200, job_view(record))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event, context):
    """Lambda entry point for API Gateway REST proxy (v1) events."""
    return app.resolve(routed(event), context)
