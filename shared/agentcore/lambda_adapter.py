"""Serve an unmodified Lambda `handler(event, context)` as an AgentCore Runtime entrypoint.

Usage (agent.py next to the Lambda's handler.py)::

    from bedrock_agentcore.runtime import BedrockAgentCoreApp
    from handler import handler
    from shared.agentcore import MIDDLEWARE
    from shared.agentcore.lambda_adapter import lambda_entrypoint

    app = BedrockAgentCoreApp(middleware=MIDDLEWARE)
    app.entrypoint(lambda_entrypoint(handler, function_name="orders"))

The event
    ``event_format="payload"`` (default): the invocation's JSON payload *is* the event, exactly what
    ``aws lambda invoke --payload`` would deliver. It is parsed by the SDK with the standard ``json``
    module (floats, as the Lambda Python runtime does), not with our exact-decimal parser.
    ``event_format="http_api"``: the invocation becomes an API Gateway HTTP API (payload format 2.0)
    proxy event: ``body`` is the raw request body as a string, ``headers`` the lower-cased request
    headers, ``requestContext.requestId`` the runtime request id, ``routeKey`` ``"POST /invocations"``.
    A ``{"statusCode", "headers", "body", "isBase64Encoded"}`` result is then turned back into the
    HTTP response, as API Gateway would do.

The context
    A LambdaContext per invocation: ``aws_request_id`` is the runtime's request id, the other
    attributes come from the arguments (or the AWS_LAMBDA_* variables, if set, so one value serves both
    the context and the libraries that read the environment), and ``get_remaining_time_in_millis()``
    counts down from the 15-minute synchronous request limit (or a shorter ``timeout_seconds``).

Errors
    An ``AppError`` raised by the handler keeps its status and envelope. Any other exception (Lambda's
    "Unhandled" function error) becomes 500 with ``{"error": {"code": "HandlerError", "error_type": ...}}``;
    the exception text stays in the log, as the shared envelope never leaks internals.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from starlette.responses import Response

from ..aws.clients import region
from ..core.errors import AppError
from ..core.jsonnum import dumps_exact
from ..core.lambda_context import LambdaContext
from .context import request_id, session_id
from .endpoint import error_response, json_response, log_error

__all__ = [
    "HandlerError",
    "LambdaContext",
    "ResponseNotSerializable",
    "http_api_event",
    "lambda_entrypoint",
    "proxy_response",
]


# The runtime's limit for one synchronous InvokeAgentRuntime request (Lambda's maximum timeout too).
SYNC_REQUEST_LIMIT_SECONDS = 900
# Every AgentCore session gets 2 vCPU / 8 GB, fixed; Lambda reports what was configured.
AGENTCORE_MEMORY_MB = 8192
DEFAULT_FUNCTION_VERSION = "$LATEST"
# Used in the ARN only when neither an ARN nor an account id is given, as Lambda's runtime emulator does.
PLACEHOLDER_ACCOUNT = "000000000000"

# The Lambda environment variables that libraries read (Powertools' idempotency keys use the first).
AWS_LAMBDA_FUNCTION_NAME = "AWS_LAMBDA_FUNCTION_NAME"
AWS_LAMBDA_FUNCTION_VERSION = "AWS_LAMBDA_FUNCTION_VERSION"
AWS_LAMBDA_FUNCTION_MEMORY_SIZE = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"
AWS_LAMBDA_LOG_GROUP_NAME = "AWS_LAMBDA_LOG_GROUP_NAME"
AWS_LAMBDA_LOG_STREAM_NAME = "AWS_LAMBDA_LOG_STREAM_NAME"

EventFormat = Literal["payload", "http_api"]
LambdaHandler = Callable[[Any, Any], Any]


class HandlerError(AppError):
    """The Lambda handler raised an exception (Lambda's "Unhandled" function error)."""

    status = 500
    code = "HandlerError"


class ResponseNotSerializable(AppError):
    """The handler returned something that is not JSON (Lambda's Runtime.MarshalError)."""

    status = 500
    code = "ResponseNotSerializable"


def lambda_entrypoint(
    handler: LambdaHandler,
    *,
    function_name: str | None = None,
    function_version: str | None = None,
    invoked_function_arn: str | None = None,
    account_id: str | None = None,
    memory_limit_in_mb: int | None = None,
    log_group_name: str | None = None,
    log_stream_name: str | None = None,
    timeout_seconds: int = SYNC_REQUEST_LIMIT_SECONDS,
    event_format: EventFormat = "payload",
    export_lambda_env: bool = True,
    one_at_a_time: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Callable[[Any, Any], Any]:
    """Return an AgentCore entrypoint `(payload, context)` that calls a Lambda handler unchanged."""
    if not 1 <= timeout_seconds <= SYNC_REQUEST_LIMIT_SECONDS:
        raise ValueError(f"timeout_seconds must be from 1 to {SYNC_REQUEST_LIMIT_SECONDS}")
    if event_format not in ("payload", "http_api"):
        raise ValueError(f"unknown event_format {event_format!r}; use 'payload' or 'http_api'")
    env = os.environ if environ is None else environ
    name = function_name or env.get(AWS_LAMBDA_FUNCTION_NAME) or _module_name(handler)
    version = function_version or env.get(AWS_LAMBDA_FUNCTION_VERSION) or DEFAULT_FUNCTION_VERSION
    memory = str(memory_limit_in_mb or env.get(AWS_LAMBDA_FUNCTION_MEMORY_SIZE) or AGENTCORE_MEMORY_MB)
    arn = invoked_function_arn or (
        f"arn:aws:lambda:{region()}:{account_id or PLACEHOLDER_ACCOUNT}:function:{name}"
    )
    group = log_group_name or env.get(AWS_LAMBDA_LOG_GROUP_NAME) or f"/aws/bedrock-agentcore/runtimes/{name}"
    fixed_stream = log_stream_name or env.get(AWS_LAMBDA_LOG_STREAM_NAME)
    if export_lambda_env and environ is None:
        # Libraries written for Lambda read these (e.g. Powertools' idempotency key prefix); never
        # override a value the operator set on the runtime.
        for key, value in (
            (AWS_LAMBDA_FUNCTION_NAME, name),
            (AWS_LAMBDA_FUNCTION_VERSION, version),
            (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, memory),
            (AWS_LAMBDA_LOG_GROUP_NAME, group),
        ):
            os.environ.setdefault(key, value)
    # Lambda runs one invocation at a time per execution environment; handlers may rely on it.
    lock: threading.Lock | None = threading.Lock() if one_at_a_time else None

    def entrypoint(payload: Any, context: Any = None) -> Any:
        deadline = time.monotonic() + timeout_seconds
        rid = request_id()
        session = session_id(context)
        lambda_context = LambdaContext(
            aws_request_id=rid,
            function_name=name,
            function_version=version,
            invoked_function_arn=arn,
            memory_limit_in_mb=memory,
            log_group_name=group,
            # A session is AgentCore's execution environment: one stream name per session.
            log_stream_name=fixed_stream or _stream_name(version, session),
            deadline=deadline,
        )
        event = payload if event_format == "payload" else http_api_event(context, rid, payload)
        try:
            if lock is None:
                result = handler(event, lambda_context)
            else:
                with lock:
                    result = handler(event, lambda_context)
        except Exception as exc:
            kind = type(exc).__name__
            error = (
                exc
                if isinstance(exc, AppError)
                else HandlerError(
                    f"the Lambda handler raised {kind}; see the runtime logs for this request id",
                    error_type=kind,
                )
            )
            log_error(error, exc, where=f"the Lambda handler {name}")
            return error_response(error)
        if event_format == "http_api" and _is_proxy_result(result):
            return proxy_response(result)
        try:
            return json_response(result)
        except (TypeError, ValueError, RecursionError) as exc:
            error = ResponseNotSerializable("the handler's result is not JSON-serializable")
            log_error(error, exc, where=f"the Lambda handler {name}")
            return error_response(error)

    # Copy the name only: a __wrapped__ would make the SDK read the handler's own signature, and a
    # handler whose second parameter is not named `context` would then get no request context.
    entrypoint.__name__ = entrypoint.__qualname__ = getattr(handler, "__name__", "handler")
    entrypoint.__doc__ = getattr(handler, "__doc__", None)
    return entrypoint


def http_api_event(context: Any, rid: str, payload: Any) -> dict[str, Any]:
    """Build an API Gateway HTTP API (payload format 2.0) proxy event from the invocation request."""
    request = getattr(context, "request", None)
    if request is None:
        raise RuntimeError("the AgentCore request context carries no request; is this an invocation?")
    # Starlette keeps the body it read for the SDK's request.json(); re-encode only if it is gone.
    body_bytes = getattr(request, "_body", None)
    if not isinstance(body_bytes, bytes):
        body_bytes = dumps_exact(payload).encode("utf-8")
    headers: dict[str, str] = {}
    for key, value in request.headers.items():
        # Payload format 2.0 joins repeated headers with commas.
        key = key.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    try:
        body, encoded = body_bytes.decode("utf-8"), False
    except UnicodeDecodeError:
        body, encoded = base64.b64encode(body_bytes).decode("ascii"), True
    now = datetime.now(UTC)
    client = getattr(request, "client", None)
    return {
        "version": "2.0",
        "routeKey": "POST /invocations",
        "rawPath": "/invocations",
        "rawQueryString": request.url.query,
        "cookies": [],
        "headers": headers,
        "queryStringParameters": dict(request.query_params) or None,
        "requestContext": {
            "accountId": "-",
            "apiId": "agentcore",
            "domainName": headers.get("host", ""),
            "http": {
                "method": request.method,
                "path": "/invocations",
                "protocol": "HTTP/1.1",
                "sourceIp": client.host if client else "",
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": rid,
            "routeKey": "POST /invocations",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


def proxy_response(result: Mapping[str, Any]) -> Response:
    """Turn a Lambda proxy result {"statusCode", "headers", "body", "isBase64Encoded"} into HTTP."""
    status = int(result["statusCode"])
    body = result.get("body")
    if body is None:
        content = b""
    elif result.get("isBase64Encoded"):
        content = base64.b64decode(body)
    elif isinstance(body, str):
        content = body.encode("utf-8")
    else:
        # API Gateway wants a string; a dict body is a common slip that HTTP APIs also refuse.
        content = dumps_exact(body).encode("utf-8")
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    headers.setdefault("content-type", "application/json")
    return Response(content, status_code=status, headers=headers)


def _is_proxy_result(result: Any) -> bool:
    return isinstance(result, Mapping) and "statusCode" in result


def _stream_name(version: str, session: str | None) -> str:
    day = datetime.now(UTC).strftime("%Y/%m/%d")
    return f"{day}/[{version}]{session or 'no-session'}"


def _module_name(handler: LambdaHandler) -> str:
    return str(getattr(handler, "__module__", None) or "lambda-handler").replace("_", "-")
