"""Glue between a step's entrypoint and BedrockAgentCoreApp: exact JSON, one error mapping, logging."""

from __future__ import annotations

import functools
import inspect
import logging
import os
from collections.abc import Callable
from typing import Any

from bedrock_agentcore.runtime.app import RequestContextFormatter
from bedrock_agentcore.runtime.context import BedrockAgentCoreContext
from starlette.middleware import Middleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import AppError, InvalidInput
from .jsonnum import dumps_exact, loads_exact
from .settings import LOG_LEVEL

logger = logging.getLogger("shared")

# Our payloads are tiny; anything this large is a mistake, refused before it is parsed.
MAX_BODY_BYTES = 1024 * 1024
_STATE_KEY = "exact_payload"


def configure_logging(default: str = "INFO") -> None:
    """Log as JSON lines with the request id, at the level named by LOG_LEVEL (else `default`)."""
    level = os.environ.get(LOG_LEVEL, default).strip().upper() or default
    if not isinstance(logging.getLevelName(level), int):
        level = default
    # A handler set before BedrockAgentCoreApp() makes the SDK keep ours instead of adding its own.
    for name in ("bedrock_agentcore.app", "shared"):
        log = logging.getLogger(name)
        if not any(getattr(h, "_shared_handler", False) for h in log.handlers):
            handler = logging.StreamHandler()
            handler.setFormatter(RequestContextFormatter())
            handler._shared_handler = True  # type: ignore[attr-defined]
            log.addHandler(handler)
            log.propagate = False
        log.setLevel(level)


class ExactJsonMiddleware:
    """Parse /invocations bodies once with exact decimals; refuse non-JSON with our error envelope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/invocations" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        message = await receive()
        if message["type"] != "http.request":
            return  # the client went away
        body: bytes = message.get("body", b"")
        if message.get("more_body", False):
            rest = await _read_rest(body, receive)
            if rest is None:
                return
            body = rest
        if len(body) > MAX_BODY_BYTES:
            error = InvalidInput(
                f"the request body is larger than {MAX_BODY_BYTES} bytes",
                field="$",
                expected='{"prompt": ...} as a small JSON object',
            )
            await _send_error(error, 413, scope, receive, send)
            return
        try:
            payload = loads_exact(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            error = InvalidInput(
                f"the request body is not valid JSON ({type(exc).__name__})",
                field="$",
                expected='a JSON object such as {"prompt": {"a": 1, "b": 2}}',
            )
            await _send_error(error, error.status, scope, receive, send)
            return
        scope.setdefault("state", {})[_STATE_KEY] = payload

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _read_rest(first: bytes, receive: Receive) -> bytes | None:
    """Read the rest of a body sent in several messages, stopping once it passes MAX_BODY_BYTES;
    None if the client disconnected. (A body in one message, the usual case, never comes here.)"""
    chunks = [first]
    size = len(first)
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            # Stop reading: the caller refuses anything this large without parsing it.
            return b"".join(chunks) + chunk
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _send_error(error: AppError, status: int, scope: Scope, receive: Receive, send: Send) -> None:
    logger.warning("refused request: %s", error.message)
    await JSONResponse(error.to_body(), status_code=status)(scope, receive, send)


MIDDLEWARE = [Middleware(ExactJsonMiddleware)]


def request_id() -> str:
    """Return the runtime's request id for the current invocation."""
    value = BedrockAgentCoreContext.get_request_id()
    if not value:
        # Only outside an invocation (a direct call in a script); the SDK always sets one.
        raise RuntimeError("no AgentCore request id in this context")
    return value


def session_id(context: Any) -> str | None:
    """Return the runtime session id carried by the entrypoint's context."""
    return getattr(context, "session_id", None) or BedrockAgentCoreContext.get_session_id()


def exact_payload(payload: Any, context: Any) -> Any:
    """Return the payload as parsed exactly by ExactJsonMiddleware, else the SDK's own parse."""
    request = getattr(context, "request", None)
    state = getattr(request, "scope", {}).get("state", {}) if request is not None else {}
    return state.get(_STATE_KEY, payload)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Return a JSON response whose Decimal values are exact JSON numbers."""
    return Response(dumps_exact(body), status_code=status, media_type="application/json", headers=headers)


def error_response(error: AppError) -> Response:
    """Return the error envelope, with the request id for the logs, and the error's status code."""
    body = error.to_body()
    rid = BedrockAgentCoreContext.get_request_id()
    if rid:
        body["error"]["request_id"] = rid
    return json_response(body, status=error.status)


def endpoint(func: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Wrap an entrypoint: exact payload in, exact JSON out, errors mapped to status codes in one place."""

    @functools.wraps(func)
    def wrapper(payload: Any, context: Any = None) -> Any:
        try:
            result = func(exact_payload(payload, context), context)
        except AppError as exc:
            log = logger.error if exc.status >= 500 else logger.warning
            log("%s (%d): %s", exc.code, exc.status, exc.message, exc_info=exc.status >= 500)
            return error_response(exc)
        except Exception:
            # Internals stay in the log (with the request id); the caller gets a code only.
            logger.exception("unhandled error in the entrypoint")
            return error_response(AppError("internal error; see the runtime logs for this request id"))
        if isinstance(result, Response) or not isinstance(result, (dict, list)):
            return result
        return json_response(result)

    # The SDK calls inspect.signature on the entrypoint for every request (to see whether it takes a
    # context); a precomputed signature spares it unwrapping and rebuilding it each time.
    wrapper.__signature__ = inspect.signature(func)  # type: ignore[attr-defined]
    return wrapper


configure_logging()
