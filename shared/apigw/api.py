"""Powertools' REST resolver set up once: exact JSON both ways, CORS, one error envelope, one log rule."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from botocore.exceptions import ClientError

from ..core.errors import AppError, InvalidInput, NotFound
from ..core.jsonnum import dumps_exact, loads_exact

__all__ = [
    "EXPOSED_HEADERS",
    "MAX_REQUEST_BYTES",
    "MethodNotAllowed",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "common_headers",
    "error_reply",
    "json_payload",
    "new_resolver",
    "reply",
    "request_id",
    "routed",
    "routes",
]

# Requests are tiny; Lambda's synchronous request limit is 6 MB, keep well under it.
MAX_REQUEST_BYTES = 1024 * 1024
JSON_TYPES = ("application/json",)
# Headers a browser script may read from our answers, and the request header it may send.
EXPOSED_HEADERS = ["X-Request-Id", "X-Session-Id", "Retry-After", "Location"]
ALLOWED_HEADERS = ["X-Session-Id"]


class UnsupportedMediaType(AppError):
    """The request body is not declared as JSON."""

    status = 415
    code = "UnsupportedMediaType"


class PayloadTooLarge(AppError):
    """The request body is larger than this API accepts."""

    status = 413
    code = "PayloadTooLarge"


class MethodNotAllowed(AppError):
    """The resource exists, but not with this method."""

    status = 405
    code = "MethodNotAllowed"


def request_id(app: APIGatewayRestResolver) -> str:
    """Return API Gateway's request id (else the Lambda's, as API Gateway always sends one)."""
    context_id = (app.current_event.raw_event.get("requestContext") or {}).get("requestId")
    return str(context_id or getattr(app.lambda_context, "aws_request_id", None) or uuid.uuid4())


def common_headers(app: APIGatewayRestResolver) -> dict[str, str]:
    """The headers every answer carries: the request id, and no caching."""
    # no-store: no cache keeps an answer, so none needs `Vary: Origin` for the CORS headers either.
    return {"Cache-Control": "no-store", "X-Request-Id": request_id(app)}


def reply(
    app: APIGatewayRestResolver, status: int, body: Any, headers: dict[str, str] | None = None
) -> Response[str]:
    """Return a JSON response (Decimal values as exact JSON numbers)."""
    return Response(
        status_code=status, content_type="application/json", body=dumps_exact(body), headers=headers
    )


def error_reply(
    app: APIGatewayRestResolver, error: AppError, headers: dict[str, str] | None = None
) -> Response[str]:
    """Return the shared error envelope with the request id, and Retry-After when the error has one."""
    body = error.to_body()
    body["error"]["request_id"] = request_id(app)
    # An exception handler's answer bypasses the middlewares: the common headers are added here.
    extra = {**common_headers(app), **(headers or {})}
    if error.retry_after is not None:
        extra["Retry-After"] = str(error.retry_after)
    return reply(app, error.status, body, extra)


def _with_common_headers(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    response = next_middleware(app)
    response.headers.update(common_headers(app))
    return response


def json_payload(app: APIGatewayRestResolver) -> Any:
    """Return the request's JSON body, exactly parsed, or raise a 4xx AppError saying what is wrong."""
    event = app.current_event
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type and content_type not in JSON_TYPES and not content_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"the request body must be application/json, got {content_type}", field="Content-Type"
        )
    raw = event.body
    if not raw:
        raise InvalidInput('the request body is missing; send {"prompt": {"a": 1, "b": 2}}', field="$")
    try:
        body = base64.b64decode(raw, validate=True) if event.is_base64_encoded else raw.encode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("the request body is not valid base64", field="$") from exc
    if len(body) > MAX_REQUEST_BYTES:
        raise PayloadTooLarge(f"the request body is larger than {MAX_REQUEST_BYTES} bytes", field="$")
    try:
        return loads_exact(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInput(f"the request body is not valid JSON ({type(exc).__name__})", field="$") from exc


def routed(event: dict[str, Any]) -> dict[str, Any]:
    """Give the resolver the path API Gateway matched: the event's resource with its path parameters.

    API Gateway has already routed a REST proxy event (`resource`, `pathParameters`); re-matching the raw
    path would miss a parameter holding a character Powertools' patterns leave out ("/", "#"), and a
    custom domain's base path. Parameters are percent-encoded here; routes read the decoded
    `path_parameters`, as API Gateway gives them. A parameter that is missing or empty leaves the
    resource as it is ("/jobs/{id}"), so the request can only reach that resource's own routes.
    """
    resource, params = event.get("resource"), event.get("pathParameters") or {}
    if not isinstance(resource, str) or not resource:
        return event
    names = re.findall(r"\{(\w+)\+?\}", resource)
    if not all(params.get(name) for name in names):
        return {**event, "path": resource}
    path = re.sub(r"\{(\w+)\+?\}", lambda m: quote(str(params[m[1]]), safe=""), resource)
    return {**event, "path": path}


def routes(app: APIGatewayRestResolver) -> list[tuple[str, str]]:
    """Return (method, API Gateway resource) for every route, e.g. ("GET", "/jobs/{id}")."""
    # Powertools keeps its routes in these two lists; read in one place so a rename breaks one test.
    found = app._static_routes + app._dynamic_routes
    return sorted({(r.method, r.path.replace("<", "{").replace(">", "}")) for r in found})


def new_resolver(allowed_origin: str, logger: Logger) -> APIGatewayRestResolver:
    """Return a REST API resolver with exact JSON, CORS for `allowed_origin` and the shared error envelope."""
    app = APIGatewayRestResolver(
        cors=CORSConfig(
            allow_origin=allowed_origin,
            allow_headers=ALLOWED_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        ),
        serializer=dumps_exact,
        json_body_deserializer=loads_exact,
    )
    # Routes, the not-found answer and CORS preflights pass through it; exception handlers do not.
    app.use(middlewares=[_with_common_headers])

    def any_error(exc: Exception) -> Response[str]:
        error = (
            exc if isinstance(exc, AppError) else AppError("internal error; see the logs for this request id")
        )
        cause = exc.__cause__
        upstream = cause.response.get("Error", {}).get("Code") if isinstance(cause, ClientError) else None
        fields = {"status": error.status, "code": error.code, "upstream_error": upstream}
        # The one log rule: a 5xx is an error with its traceback, a 4xx a warning without one.
        if error.status >= 500:
            logger.error(error.message, extra=fields, exc_info=exc)
        else:
            logger.warning(error.message, extra=fields)
        headers = {"Allow": ", ".join(error.details["allow"])} if "allow" in error.details else None
        return error_reply(app, error, headers)

    def no_route(_: NotFoundError) -> Response[str]:
        event = app.current_event
        allowed = [method for method, resource in routes(app) if resource == event.resource]
        if allowed:
            error: AppError = MethodNotAllowed(
                f"{event.http_method} is not allowed on {event.resource}", allow=allowed
            )
        else:
            error = NotFound(f"no route for {event.http_method} {event.path}")
        return any_error(error)

    # Registered by call rather than as decorators, which Powertools leaves untyped.
    app.exception_handler(Exception)(any_error)
    app.not_found(no_route)
    return app
