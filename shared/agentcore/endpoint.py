"""The entrypoint wrapper: exact payload in, exact JSON (or a stream) out, one error mapping, one log rule."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, overload

from bedrock_agentcore.runtime.app import RequestContextFormatter
from bedrock_agentcore.runtime.context import BedrockAgentCoreContext
from starlette.responses import Response

from ..core.errors import AppError
from ..core.jsonnum import dumps_exact
from ..core.settings import log_level
from .context import exact_payload

__all__ = [
    "Translate",
    "configure_logging",
    "endpoint",
    "error_body",
    "error_response",
    "json_response",
    "log_error",
]

logger = logging.getLogger("shared")

# Maps an exception that is not an AppError (a library's own) to one, or None to leave it unmapped.
Translate = Callable[[BaseException], "AppError | None"]
Entrypoint = Callable[[Any, Any], Any]
_INTERNAL = "internal error; see the runtime logs for this request id"


def configure_logging(default: str = "INFO") -> None:
    """Log as JSON lines with the request id, at the level named by LOG_LEVEL (else `default`).

    Called by `serve()` when a step is served, never at import: importing a step configures nothing.
    """
    level = log_level(default=default)
    for name in ("bedrock_agentcore.app", "shared"):
        log = logging.getLogger(name)
        # BedrockAgentCoreApp() adds a handler with this same formatter when it is created first: keep it.
        if not any(isinstance(h.formatter, RequestContextFormatter) for h in log.handlers):
            handler = logging.StreamHandler()
            handler.setFormatter(RequestContextFormatter())
            log.addHandler(handler)
        log.propagate = False
        log.setLevel(level)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Return a JSON response whose Decimal values are exact JSON numbers."""
    return Response(dumps_exact(body), status_code=status, media_type="application/json", headers=headers)


def error_body(error: AppError) -> dict[str, Any]:
    """Return the error envelope with the request id, for the logs and for the caller."""
    body = error.to_body()
    rid = BedrockAgentCoreContext.get_request_id()
    if rid:
        body["error"]["request_id"] = rid
    return body


def error_response(error: AppError) -> Response:
    """Return the error envelope with the error's status code, and a top-level `message` for clients that
    read only that (botocore shows it after the status; the starter toolkit prints it)."""
    body = {**error_body(error), "message": f"{error.code}: {error.message}"}
    return json_response(body, status=error.status)


def log_error(error: AppError, exc: BaseException | None = None, where: str = "") -> None:
    """The one log rule: a 5xx is an error with its traceback, a 4xx a warning without one."""
    prefix = f"{where}: " if where else ""
    if error.status >= 500:
        logger.error("%s%s (%d): %s", prefix, error.code, error.status, error.message, exc_info=exc or error)
    else:
        logger.warning("%s%s (%d): %s", prefix, error.code, error.status, error.message)


def as_app_error(exc: BaseException, translate: Translate | None = None) -> AppError:
    """Return the AppError for an exception: itself, the translation, or an internal error without details."""
    if isinstance(exc, AppError):
        return exc
    mapped = translate(exc) if translate is not None else None
    # Internals stay in the log (with the request id); the caller gets a code only.
    return mapped if mapped is not None else AppError(_INTERNAL)


def _fail(exc: BaseException, translate: Translate | None) -> AppError:
    error = as_app_error(exc, translate)
    log_error(error, exc)
    return error


def _render(result: Any) -> Any:
    if isinstance(result, (dict, list)):
        return json_response(result)
    return result  # a Response, or whatever the SDK serializes itself


async def _stream(
    first: list[Any], events: AsyncIterator[Any], translate: Translate | None
) -> AsyncIterator[Any]:
    try:
        for event in first:
            yield event
        async for event in events:
            yield event
    except Exception as exc:
        # The 200 status line is already sent: the error envelope travels as the last event.
        yield error_body(_fail(exc, translate))
    finally:
        # Also on a client disconnect: the producer's own cleanup runs now, not at garbage collection.
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()


async def _start_stream(events: AsyncIterator[Any], translate: Translate | None) -> AsyncIterator[Any]:
    """Read the first event before answering, so a failure before any output gets a real HTTP status."""
    try:
        first = [await events.__anext__()]
    except StopAsyncIteration:
        first = []
    except BaseException:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
        raise
    return _stream(first, events, translate)


def _wrap(func: Entrypoint, translate: Translate | None) -> Entrypoint:
    if inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func):

        async def async_wrapper(payload: Any, context: Any = None) -> Any:
            try:
                result = func(exact_payload(payload, context), context)
                if inspect.isawaitable(result):
                    result = await result
                if isinstance(result, AsyncIterator):
                    return await _start_stream(result, translate)
            except Exception as exc:
                return error_response(_fail(exc, translate))
            return _render(result)

        wrapper: Entrypoint = async_wrapper
    else:

        def sync_wrapper(payload: Any, context: Any = None) -> Any:
            try:
                result = func(exact_payload(payload, context), context)
            except Exception as exc:
                return error_response(_fail(exc, translate))
            return _render(result)

        wrapper = sync_wrapper
    functools.update_wrapper(wrapper, func)
    # The SDK calls inspect.signature on the entrypoint for every request (to see whether it takes a
    # context); a precomputed signature spares it unwrapping and rebuilding it each time.
    wrapper.__signature__ = inspect.signature(func)  # type: ignore[attr-defined]
    return wrapper


@overload
def endpoint(func: Entrypoint, *, translate: Translate | None = None) -> Entrypoint: ...
@overload
def endpoint(
    func: None = None, *, translate: Translate | None = None
) -> Callable[[Entrypoint], Entrypoint]: ...
def endpoint(func: Entrypoint | None = None, *, translate: Translate | None = None) -> Any:
    """Wrap a sync, async or streaming entrypoint: errors mapped to a status (or a last event) in one place.

    `@endpoint` or `@endpoint(translate=...)`, where translate maps a library's own exceptions to ours.
    An entrypoint may return a dict or list (exact JSON), a Response, or an async iterator of events
    (server-sent events; its first event is read before the status line is sent).
    """
    if func is None:
        return lambda f: _wrap(f, translate)
    return _wrap(func, translate)
