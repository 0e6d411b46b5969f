"""An ASGI middleware: /invocations bodies parsed once, exactly; non-JSON refused with our envelope."""

from __future__ import annotations

import json
import logging
import uuid

from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.errors import AppError, InvalidInput
from ..core.jsonnum import loads_exact
from .context import STATE_KEY

# The header the runtime carries an invocation's request id in (the SDK reads the same one).
REQUEST_ID_HEADER = "x-amzn-bedrock-agentcore-runtime-request-id"

__all__ = ["MAX_BODY_BYTES", "MIDDLEWARE", "ExactJsonMiddleware"]

logger = logging.getLogger("shared")

# Our payloads are tiny; anything this large is a mistake, refused before it is parsed.
MAX_BODY_BYTES = 1024 * 1024


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
                f"the request body is not valid JSON: {_where(exc)}",
                field="$",
                expected='a JSON object such as {"prompt": {"a": 1, "b": 2}}',
            )
            await _send_error(error, error.status, scope, receive, send)
            return
        scope.setdefault("state", {})[STATE_KEY] = payload

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


def _where(exc: BaseException) -> str:
    """What is wrong with a body that does not parse, and where (line and column, or byte)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return f"it is not UTF-8 text (byte {exc.start})"
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    return str(exc)


def _request_id(scope: Scope) -> str:
    """The runtime's request id for this request (its header), else a new one, as the SDK would make."""
    for name, value in scope.get("headers", ()):
        if name.decode("latin-1").lower() == REQUEST_ID_HEADER:
            return str(value.decode("latin-1"))
    return str(uuid.uuid4())


async def _send_error(error: AppError, status: int, scope: Scope, receive: Receive, send: Send) -> None:
    rid = _request_id(scope)
    logger.warning("refused request %s: %s", rid, error.message)
    body = error.to_body()
    body["error"]["request_id"] = rid
    body["message"] = f"{error.code}: {error.message}"
    await JSONResponse(body, status_code=status)(scope, receive, send)


MIDDLEWARE = [Middleware(ExactJsonMiddleware)]
