"""Step 5: a Lambda behind API Gateway (REST, proxy integration) that invokes an AgentCore runtime.

POST /calculate validates {"prompt": {"a": <number>, "b": <number>}} with the same validator as the
agents, calls InvokeAgentRuntime once and answers {"success": true, "data": ..., "request_id": ...}.
POST /jobs starts the same work as an async job on the runtime (202 + Location); GET /jobs/{id} reads
the job record straight from DynamoDB. Routes live in ROUTES, keyed by API Gateway's (method, resource).
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError, ConnectTimeoutError, ParamValidationError, ReadTimeoutError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from shared.aws import new_client
from shared.errors import AppError, ConfigurationError, InvalidInput, NotFound, SinkThrottled, SinkWriteFailed
from shared.jobs import JobStore, check_job_id, job_view, parse_job_options
from shared.jsonnum import dumps_exact, loads_exact
from shared.settings import int_setting, require
from shared.validation import checked_sum

logger = logging.getLogger("lambda_proxy")
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO").strip().upper() or "INFO")

# Settings (environment variable names).
AGENT_RUNTIME_ARN = "AGENT_RUNTIME_ARN"
AGENT_RUNTIME_ID = "AGENT_RUNTIME_ID"
AGENT_RUNTIME_QUALIFIER = "AGENT_RUNTIME_QUALIFIER"
ALLOWED_ORIGIN = "ALLOWED_ORIGIN"
RUNTIME_READ_TIMEOUT_SECONDS = "RUNTIME_READ_TIMEOUT_SECONDS"
RUNTIME_CONNECT_TIMEOUT_SECONDS = "RUNTIME_CONNECT_TIMEOUT_SECONDS"
RUNTIME_MAX_ATTEMPTS = "RUNTIME_MAX_ATTEMPTS"
JOBS_TABLE_NAME = "JOBS_TABLE_NAME"

# API Gateway's default integration timeout is 29 s: the read timeout stays below it so the Lambda,
# not API Gateway, decides what the caller sees when the agent is slow.
DEFAULT_READ_TIMEOUT = 25
DEFAULT_CONNECT_TIMEOUT = 2
DEFAULT_MAX_ATTEMPTS = 3
# Requests are tiny; Lambda's synchronous response limit is 6 MB, keep well under it.
MAX_REQUEST_BYTES = 1024 * 1024
MAX_RESPONSE_BYTES = 5 * 1024 * 1024
MAX_AGENT_ERROR_BYTES = 64 * 1024

SESSION_HEADER = "x-session-id"
# Every job gets its own runtime session (so its own microVM, kept alive while it says HealthyBusy).
JOB_SESSION_PREFIX = "apigw-job-"
# The fields POST /jobs accepts; anything else (e.g. "job_status", which the runtime would read as a
# status query) is refused before the runtime is called.
JOB_FIELDS = frozenset({"prompt", "mode", "delay_seconds", "idempotency_key"})
# Job reads are one small GetItem: fail fast, retry throttling, stay far below the function's 28 s.
JOBS_READ_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "total_max_attempts": 3},
    tcp_keepalive=True,
)
# InvokeAgentRuntime's runtimeSessionId is 33 to 256 characters; also keep it header-safe.
SESSION_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{32,255}")
RUNTIME_ARN_RE = re.compile(r"arn:aws[a-z-]*:bedrock-agentcore:[a-z0-9-]+:\d{12}:runtime/[A-Za-z0-9_-]+")
JSON_TYPES = ("application/json",)

# Errors the AgentCore data plane itself returns (botocore's service model); anything else with a
# non-2xx status is the agent's own answer, passed on to the caller.
SERVICE_ERROR_CODES = frozenset(
    {
        "ValidationException",
        "AccessDeniedException",
        "ResourceNotFoundException",
        "RuntimeClientError",
        "ThrottlingException",
        "ServiceQuotaExceededException",
        "RetryableConflictException",
        "InternalServerException",
    }
)


class UnsupportedMediaType(AppError):
    """The request body is not declared as JSON."""

    status = 415
    code = "UnsupportedMediaType"


class PayloadTooLarge(AppError):
    """The request body is larger than this API accepts."""

    status = 413
    code = "PayloadTooLarge"


class MethodNotAllowed(AppError):
    """The resource exists but not with this method."""

    status = 405
    code = "MethodNotAllowed"


class UpstreamError(AppError):
    """The runtime or the agent failed; the caller sees only the code and a fixed message."""

    status = 502
    code = "RuntimeError"

    def __init__(
        self, code: str, status: int, message: str, *, retry_after: int | None = None, **details: Any
    ) -> None:
        super().__init__(message, **details)
        self.code = code
        self.status = status
        self.retry_after = retry_after
        # The data-plane error code, for the logs only.
        self.runtime_error: str | None = None


# (status, our code, message, Retry-After) for each data-plane error, after botocore's retries.
_SERVICE_ERROR_MAP: dict[str, tuple[int, str, str, int | None]] = {
    "ValidationException": (502, "RuntimeRejectedRequest", "the runtime rejected the request", None),
    "AccessDeniedException": (502, "RuntimeAccessDenied", "the proxy may not invoke the runtime", None),
    "ResourceNotFoundException": (502, "RuntimeNotFound", "the runtime or its endpoint does not exist", None),
    "RuntimeClientError": (502, "RuntimeClientError", "the agent failed to start or to answer", None),
    "ThrottlingException": (429, "Throttled", "too many requests; retry later", 1),
    "ServiceQuotaExceededException": (503, "RuntimeQuotaExceeded", "the runtime is at its quota", 30),
    "RetryableConflictException": (503, "RuntimeBusy", "the runtime session is busy; retry later", 2),
    "InternalServerException": (503, "RuntimeUnavailable", "the runtime failed; retry later", 2),
}


@dataclass(frozen=True)
class ProxySettings:
    """Which runtime to invoke and how."""

    runtime_arn: str
    qualifier: str
    allowed_origin: str

    @classmethod
    def from_env(cls, function_arn: str | None, environ: Mapping[str, str] | None = None) -> ProxySettings:
        """Read AGENT_RUNTIME_ARN, or AGENT_RUNTIME_ID plus the account and region of the function ARN."""
        env = os.environ if environ is None else environ
        arn = env.get(AGENT_RUNTIME_ARN, "").strip()
        if not arn:
            arn = _arn_from_runtime_id(env.get(AGENT_RUNTIME_ID, "").strip(), function_arn)
        if not RUNTIME_ARN_RE.fullmatch(arn):
            raise ConfigurationError(
                f"{AGENT_RUNTIME_ARN} is not an AgentCore runtime ARN", variable=AGENT_RUNTIME_ARN
            )
        return cls(
            runtime_arn=arn,
            qualifier=env.get(AGENT_RUNTIME_QUALIFIER, "").strip() or "DEFAULT",
            allowed_origin=env.get(ALLOWED_ORIGIN, "").strip() or "*",
        )


def _arn_from_runtime_id(runtime_id: str, function_arn: str | None) -> str:
    if not runtime_id:
        raise ConfigurationError(
            f"set {AGENT_RUNTIME_ARN}, or {AGENT_RUNTIME_ID} for a runtime in the function's account",
            variable=AGENT_RUNTIME_ARN,
        )
    # arn:aws:lambda:<region>:<account>:function:<name>[:<alias>], from the invocation context:
    # the account comes for free, no STS call per request.
    parts = (function_arn or "").split(":")
    if len(parts) < 7 or parts[2] != "lambda":
        raise ConfigurationError(
            f"{AGENT_RUNTIME_ID} needs the function ARN from the Lambda context", variable=AGENT_RUNTIME_ID
        )
    partition, region, account = parts[1], parts[3], parts[4]
    return f"arn:{partition}:bedrock-agentcore:{region}:{account}:runtime/{runtime_id}"


def runtime_config() -> Config:
    """Return the botocore Config for InvokeAgentRuntime: read timeout under API Gateway's 29 s."""
    return Config(
        connect_timeout=int_setting(RUNTIME_CONNECT_TIMEOUT_SECONDS, DEFAULT_CONNECT_TIMEOUT, 1, 10),
        read_timeout=int_setting(RUNTIME_READ_TIMEOUT_SECONDS, DEFAULT_READ_TIMEOUT, 1, 900),
        retries={
            "mode": "standard",
            # total_max_attempts counts the first call (max_attempts would count retries only).
            "total_max_attempts": int_setting(RUNTIME_MAX_ATTEMPTS, DEFAULT_MAX_ATTEMPTS, 1, 5),
        },
        tcp_keepalive=True,
    )


def _no_retry_after_read_timeout(caught_exception: Exception | None = None, **_: Any) -> None:
    # A retry after a read timeout would run the agent a second time while API Gateway's clock is
    # already nearly spent; raising here stops botocore's retry loop before it sleeps.
    if isinstance(caught_exception, ReadTimeoutError):
        raise caught_exception


def _keep_agent_error_body(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
    # botocore keeps only a code and message from an error body; when the agent itself answered
    # non-2xx (not a data-plane error), keep its JSON body so the caller gets the agent's envelope.
    error = parsed.get("Error")
    if not isinstance(error, dict) or error.get("Code") in SERVICE_ERROR_CODES:
        return
    if getattr(http_response, "status_code", 200) < 300 or getattr(http_response, "raw", None) is None:
        return
    content = http_response.content
    if not content or len(content) > MAX_AGENT_ERROR_BYTES:
        return
    try:
        body = loads_exact(content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error["AgentBody"] = body


_OPERATION = "bedrock-agentcore.InvokeAgentRuntime"
_client: Any = None
_client_lock = threading.Lock()


def runtime_client() -> Any:
    """Return this container's bedrock-agentcore client, built on first use."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                client = new_client("bedrock-agentcore", runtime_config())
                events = client.meta.events
                events.register(f"needs-retry.{_OPERATION}", _no_retry_after_read_timeout)
                events.register(f"after-call.{_OPERATION}", _keep_agent_error_body)
                _client = client
    return _client


_jobs_client: Any = None


def jobs_client() -> Any:
    """Return this container's DynamoDB client for job reads, built on first use."""
    global _jobs_client
    if _jobs_client is None:
        with _client_lock:
            if _jobs_client is None:
                _jobs_client = new_client("dynamodb", JOBS_READ_CONFIG)
    return _jobs_client


def reset_client() -> None:
    """Forget the cached clients (tests that change endpoints or stubs)."""
    global _client, _jobs_client
    with _client_lock:
        _client = None
        _jobs_client = None


@dataclass
class Request:
    """One API Gateway REST proxy (v1) request, normalized."""

    method: str
    resource: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    path_parameters: dict[str, str]
    query: dict[str, str]
    request_id: str
    function_arn: str | None

    @classmethod
    def from_event(cls, event: Mapping[str, Any], context: Any) -> Request:
        """Build from the proxy event and the Lambda context."""
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        for key, values in (event.get("multiValueHeaders") or {}).items():
            if values and key.lower() not in headers:
                headers[key.lower()] = str(values[-1])
        raw = event.get("body")
        body: bytes | None = None
        if raw is not None:
            if event.get("isBase64Encoded"):
                try:
                    body = base64.b64decode(raw, validate=True)
                except (binascii.Error, ValueError) as exc:
                    raise InvalidInput("the request body is not valid base64", field="$") from exc
            else:
                body = str(raw).encode("utf-8")
        context_id = (event.get("requestContext") or {}).get("requestId")
        return cls(
            method=str(event.get("httpMethod") or "").upper(),
            resource=str(event.get("resource") or event.get("path") or ""),
            path=str(event.get("path") or ""),
            headers=headers,
            body=body,
            path_parameters=dict(event.get("pathParameters") or {}),
            query=dict(event.get("queryStringParameters") or {}),
            request_id=str(context_id or getattr(context, "aws_request_id", None) or uuid.uuid4()),
            function_arn=getattr(context, "invoked_function_arn", None),
        )


@dataclass
class Reply:
    """A response before it is rendered for API Gateway."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def json_body(request: Request) -> Any:
    """Return the request's JSON body, exactly parsed, or raise a 4xx AppError."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in JSON_TYPES and not content_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"the request body must be application/json, got {content_type}", field="Content-Type"
        )
    if not request.body:
        raise InvalidInput('the request body is missing; send {"prompt": {"a": 1, "b": 2}}', field="$")
    if len(request.body) > MAX_REQUEST_BYTES:
        raise PayloadTooLarge(f"the request body is larger than {MAX_REQUEST_BYTES} bytes", field="$")
    try:
        return loads_exact(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInput(f"the request body is not valid JSON ({type(exc).__name__})", field="$") from exc


def session_id_for(request: Request) -> str:
    """Return the caller's X-Session-Id when valid, else a fresh one (one session per request)."""
    given = request.headers.get(SESSION_HEADER)
    if given is None:
        return f"apigw-{uuid.uuid4()}"
    if not SESSION_ID_RE.fullmatch(given):
        raise InvalidInput(
            "X-Session-Id must be 33 to 256 characters of letters, digits, '.', '_', ':' or '-'",
            field="headers.X-Session-Id",
        )
    return given


@dataclass(frozen=True)
class AgentAnswer:
    """What the runtime returned: status, content type and the decoded body."""

    status: int
    content_type: str
    body: Any


def invoke_runtime(settings: ProxySettings, payload: bytes, session_id: str) -> AgentAnswer:
    """Call InvokeAgentRuntime once (botocore retries transient errors) and read the whole answer."""
    try:
        response = runtime_client().invoke_agent_runtime(
            agentRuntimeArn=settings.runtime_arn,
            qualifier=settings.qualifier,
            runtimeSessionId=session_id,
            contentType="application/json",
            accept="application/json, text/event-stream",
            payload=payload,
        )
    except ClientError as exc:
        raise _from_client_error(exc) from exc
    except ReadTimeoutError as exc:
        raise UpstreamError("RuntimeTimeout", 504, "the agent did not answer in time") from exc
    except (ConnectTimeoutError, BotocoreConnectionError) as exc:
        raise UpstreamError("RuntimeUnreachable", 502, "the runtime endpoint could not be reached") from exc
    except ParamValidationError as exc:
        raise UpstreamError("ProxyMisconfigured", 500, "the proxy built an invalid runtime request") from exc
    status = int(response.get("statusCode") or 200)
    content_type = str(response.get("contentType") or "application/json")
    stream = response["response"]
    try:
        raw = stream.read(MAX_RESPONSE_BYTES + 1)
    except ReadTimeoutError as exc:
        raise UpstreamError("RuntimeTimeout", 504, "the agent did not finish its answer in time") from exc
    finally:
        stream.close()
    if len(raw) > MAX_RESPONSE_BYTES:
        raise UpstreamError("ResponseTooLarge", 502, "the agent's answer is larger than this API returns")
    try:
        if content_type.split(";")[0].strip().lower() == "text/event-stream":
            body: Any = sse_events(raw.decode("utf-8"))
        else:
            body = loads_exact(raw) if raw else None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise UpstreamError("AgentResponseInvalid", 502, "the agent's answer is not valid JSON") from exc
    return AgentAnswer(status=status, content_type=content_type, body=body)


def sse_events(text: str) -> list[Any]:
    """Assemble server-sent events: data lines joined per event, each parsed as JSON when it is JSON."""
    events: list[Any] = []
    data: list[str] = []

    def flush() -> None:
        if data:
            joined = "\n".join(data)
            try:
                events.append(loads_exact(joined))
            except ValueError:
                events.append(joined)
            data.clear()

    for line in text.splitlines():
        if not line:
            flush()
        elif line.startswith("data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)
        # Comments (":"), event names, ids and retry fields carry no payload for this API.
    flush()
    return events


def _from_client_error(exc: ClientError) -> AppError:
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    mapped = _SERVICE_ERROR_MAP.get(code)
    if mapped is not None:
        upstream = UpstreamError(mapped[1], mapped[0], mapped[2], retry_after=mapped[3])
        upstream.runtime_error = code
        return upstream
    return _agent_error(status, error.get("AgentBody"))


def _agent_error(status: int, body: Any) -> AppError:
    """Map the agent's own non-2xx answer: 4xx passed through with its body, 5xx as a gateway error."""
    agent_error = body.get("error") if isinstance(body, dict) else None
    if 400 <= status < 500 and isinstance(agent_error, dict):
        return PassThrough(status, body)
    agent_code = agent_error.get("code") if isinstance(agent_error, dict) else None
    if status == 503:
        return UpstreamError("AgentUnavailable", 503, "the agent is unavailable; retry later", retry_after=2)
    if 400 <= status < 500:
        return UpstreamError(
            "AgentRejectedRequest", 502, "the agent refused the request", agent_status=status
        )
    if status >= 500:
        return UpstreamError(
            "AgentFailed", 502, "the agent failed", agent_status=status, agent_code=agent_code
        )
    # A 1xx/3xx or a missing status: not a documented outcome; treat as a bad gateway.
    return UpstreamError("RuntimeError", 502, "the runtime answered with an unexpected status")


class PassThrough(AppError):
    """The agent's own 4xx answer, shown to the caller as the agent wrote it."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body.get("error", {}).get("message", "")))
        self.status = status
        self.code = str(body.get("error", {}).get("code", "AgentError"))
        self.body = body

    def to_body(self) -> dict[str, Any]:
        """Return the agent's envelope unchanged."""
        return {"error": dict(self.body["error"])}


def calculate(request: Request) -> Reply:
    """POST /calculate: validate, invoke the runtime, wrap its answer."""
    payload = json_body(request)
    checked_sum(payload)  # Bad input (an unstorable sum too) never reaches the runtime.
    session_id = session_id_for(request)
    settings = ProxySettings.from_env(request.function_arn)
    # Only the prompt goes on: /calculate is synchronous, so "mode" or "job_status" must not reach the
    # runtime from here (POST /jobs and GET /jobs/{id} are the routes for those).
    forwarded = {"prompt": payload["prompt"]}
    answer = invoke_runtime(settings, dumps_exact(forwarded).encode("utf-8"), session_id)
    if not 200 <= answer.status < 300:
        raise _agent_error(answer.status, answer.body)
    body = {"success": True, "data": answer.body, "request_id": request.request_id}
    return Reply(200, body, {"X-Session-Id": session_id})


def submit_job(request: Request) -> Reply:
    """POST /jobs: validate, start an async job on the runtime in a fresh session, answer 202 + Location."""
    payload = json_body(request)
    checked_sum(payload)  # Bad input (an unstorable sum too) never reaches the runtime.
    unknown = sorted(set(payload) - JOB_FIELDS)
    if unknown:
        raise InvalidInput(
            f"{unknown[0]} is not a field of a job request; send {{{', '.join(sorted(JOB_FIELDS))}}}",
            field=unknown[0],
        )
    if payload.get("mode", "async") != "async":
        raise InvalidInput('POST /jobs always runs asynchronously: omit mode or send "async"', field="mode")
    forwarded = {**payload, "mode": "async"}
    if forwarded.get("idempotency_key") is None:
        # botocore retries a failed InvokeAgentRuntime; a key tied to this API request makes those retries
        # return the job the first attempt started instead of starting a second one.
        forwarded["idempotency_key"] = f"apigw-request:{request.request_id}"
    parse_job_options(forwarded)
    session_id = f"{JOB_SESSION_PREFIX}{uuid.uuid4()}"
    settings = ProxySettings.from_env(request.function_arn)
    answer = invoke_runtime(settings, dumps_exact(forwarded).encode("utf-8"), session_id)
    if not 200 <= answer.status < 300:
        raise _agent_error(answer.status, answer.body)
    job = answer.body
    if not isinstance(job, dict) or not isinstance(job.get("status"), str):
        raise UpstreamError(
            "AgentResponseInvalid", 502, "the runtime did not answer with a job (is it step 4?)"
        )
    try:
        job_id = check_job_id(job.get("job_id"), field="job_id")
    except InvalidInput as exc:
        raise UpstreamError(
            "AgentResponseInvalid", 502, "the runtime answered with an invalid job id"
        ) from exc
    # 202 for a job this request started; the runtime answers 200 for one that already existed.
    status = 202 if answer.status == 202 else 200
    return Reply(status, job, {"Location": f"/jobs/{job_id}", "X-Session-Id": session_id})


def job_id_from_path(request: Request) -> str:
    """Return the {id} path parameter, validated like the runtime validates job ids."""
    try:
        return check_job_id(request.path_parameters.get("id"), field="path.id")
    except InvalidInput as exc:
        raise InvalidInput(
            exc.message, field="path.id", expected="GET /jobs/<job_id from POST /jobs>"
        ) from exc


# DynamoDB errors on a job read: (status, our code, message, Retry-After); anything else is 503.
_JOB_READ_ERRORS: dict[str, tuple[int, str, str, int | None]] = {
    "ProvisionedThroughputExceededException": (503, "JobStoreThrottled", "job reads are throttled", 1),
    "ThrottlingException": (503, "JobStoreThrottled", "job reads are throttled", 1),
    "RequestLimitExceeded": (503, "JobStoreThrottled", "job reads are throttled", 1),
    "ResourceNotFoundException": (500, "JobStoreMisconfigured", "the jobs table does not exist", None),
    "AccessDeniedException": (500, "JobStoreMisconfigured", "the proxy may not read the jobs table", None),
    "ValidationException": (500, "JobStoreMisconfigured", "the jobs table rejected the read", None),
}


def read_job(table: str, job_id: str) -> dict[str, Any]:
    """Read the job record with the runtime's own JobStore and return its public view, or raise NotFound."""
    try:
        record = JobStore(jobs_client(), table).get(job_id)
    except NotFound as exc:
        raise NotFound(exc.message, field="path.id", job_id=job_id) from exc
    except (SinkThrottled, SinkWriteFailed) as exc:
        code = str(exc.details.get("aws_error_code", ""))
        if code in _JOB_READ_ERRORS:
            status, our_code, message, retry_after = _JOB_READ_ERRORS[code]
        elif isinstance(exc.__cause__, ClientError):
            status, our_code, message, retry_after = (
                503,
                "JobStoreUnavailable",
                "the jobs table could not be read; retry later",
                2,
            )
        else:
            status, our_code, message, retry_after = (
                503,
                "JobStoreUnavailable",
                "the jobs table could not be reached; retry later",
                2,
            )
        error = UpstreamError(our_code, status, message, retry_after=retry_after)
        error.runtime_error = f"dynamodb:{code}"
        raise error from exc
    try:
        return job_view(record)
    except KeyError as exc:
        raise UpstreamError("JobRecordInvalid", 502, "the job record is incomplete") from exc


def get_job(request: Request) -> Reply:
    """GET /jobs/{id}: the job record from DynamoDB (no runtime call), 404 for an unknown id."""
    job_id = job_id_from_path(request)
    return Reply(200, read_job(require(JOBS_TABLE_NAME), job_id))


# (method, API Gateway resource) -> route; path parameters arrive in Request.path_parameters.
ROUTES: dict[tuple[str, str], Callable[[Request], Reply]] = {
    ("POST", "/calculate"): calculate,
    ("POST", "/jobs"): submit_job,
    ("GET", "/jobs/{id}"): get_job,
}


def route(request: Request) -> Reply:
    """Dispatch to the route for (method, resource), or answer 404/405."""
    handler = ROUTES.get((request.method, request.resource))
    if handler is not None:
        return handler(request)
    allowed = sorted(method for method, resource in ROUTES if resource == request.resource)
    if request.method == "OPTIONS" and allowed:
        # API Gateway answers preflights itself (template.yaml); this only covers a deployment without it.
        return Reply(204, None, {"Access-Control-Allow-Methods": ", ".join([*allowed, "OPTIONS"])})
    if allowed:
        raise MethodNotAllowed(f"{request.method} is not allowed on {request.resource}", allow=allowed)
    raise NotFound(f"no route for {request.method} {request.path}")


def _render(reply: Reply, request_id: str, origin: str) -> dict[str, Any]:
    headers = {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "X-Request-Id": request_id,
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": "X-Request-Id, X-Session-Id, Retry-After, Location",
        **reply.headers,
    }
    if origin != "*":
        headers["Vary"] = "Origin"
    return {
        "statusCode": reply.status,
        "headers": headers,
        "body": "" if reply.body is None else dumps_exact(reply.body),
        "isBase64Encoded": False,
    }


def _error_reply(error: AppError, request_id: str) -> Reply:
    body = error.to_body()
    body["error"]["request_id"] = request_id
    headers: dict[str, str] = {}
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.details.get("allow", []))
    return Reply(error.status, body, headers)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point for API Gateway REST proxy (v1) events."""
    origin = os.environ.get(ALLOWED_ORIGIN, "").strip() or "*"
    request_id = str(
        (event.get("requestContext") or {}).get("requestId") or getattr(context, "aws_request_id", "-")
    )
    try:
        request = Request.from_event(event, context)
        reply = route(request)
    except AppError as exc:
        log = logger.error if exc.status >= 500 else logger.warning
        upstream = getattr(exc, "runtime_error", None) or "-"
        log("request_id=%s status=%d code=%s runtime_error=%s", request_id, exc.status, exc.code, upstream)
        reply = _error_reply(exc, request_id)
    except Exception:
        # Internals stay in the log with the request id; the caller gets a code only.
        logger.exception("request_id=%s status=500 code=InternalError", request_id)
        reply = _error_reply(AppError("internal error; see the logs for this request id"), request_id)
    else:
        logger.info("request_id=%s status=%d", request_id, reply.status)
    return _render(reply, request_id, origin)
