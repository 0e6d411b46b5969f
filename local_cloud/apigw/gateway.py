"""A local API Gateway (REST API, Lambda proxy integration) in front of a Lambda handler.

Requests to `http://127.0.0.1:<port>/<stage>/<resource>` become API Gateway REST proxy (v1) events
and the handler is called with a Lambda-like context, as `sam local start-api` does but without
Docker. What API Gateway itself answers is emulated too: CORS preflight (like the template's `Cors`),
403 "Missing Authentication Token" for unknown resources or methods, inbound auth (API keys, each one
caller, and a JWT-claims mode: `local_cloud.apigw.auth`), the integration timeout (504) and 502 for a
handler that fails or returns a malformed response.

In a process of its own (a Lambda's environment apart from the caller's): `ApiGatewayProcess`, or
`python -m local_cloud.apigw --handler FILE.py:FUNCTION --openapi OPENAPI.json`.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from shared.core.lambda_context import LOCAL_ACCOUNT, LambdaContext

from ..functions import Handler
from ..loopback import LoopbackHttpServer
from .auth import LocalAuth

__all__ = ["LocalApiGateway", "Route", "openapi_routes", "response_headers"]

DEFAULT_ALLOWED_HEADERS = "Content-Type,X-Session-Id,X-Api-Key,Authorization"
# API Gateway's REST payload limit and default integration timeout.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
DEFAULT_TIMEOUT = 29.0


def openapi_routes(document: Path) -> list[tuple[str, str]]:
    """(METHOD, resource) of every operation of an OpenAPI document, e.g. ("GET", "/jobs/{id}")."""
    paths = json.loads(document.read_text(encoding="utf-8"))["paths"]
    return sorted((method.upper(), resource) for resource, item in paths.items() for method in item)


@dataclass
class Route:
    """One method on one API Gateway resource (e.g. POST /jobs/{id})."""

    method: str
    resource: str
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.resource))
        self.pattern = re.compile(f"^{regex}$")


class LocalApiGateway(LoopbackHttpServer):
    """A ThreadingHTTPServer on 127.0.0.1 that turns HTTP requests into proxy events for a handler."""

    thread_name = "local-apigw"

    def __init__(
        self,
        handler: Handler,
        routes: Sequence[tuple[str, str]],
        stage: str = "prod",
        allowed_origin: str = "*",
        allowed_headers: str = DEFAULT_ALLOWED_HEADERS,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        binary_media_types: Sequence[str] = (),
        region: str = "us-east-1",
        function_name: str = "agentcore-proxy",
        port: int = 0,
        api_keys: Sequence[str] = (),
        jwt: bool = False,
    ) -> None:
        self.handler = handler
        self.routes = [Route(method.upper(), resource) for method, resource in routes]
        self.stage = stage
        self.allowed_origin = allowed_origin
        self.allowed_headers = allowed_headers
        self.auth = LocalAuth([*([api_key] if api_key is not None else []), *api_keys], jwt)
        self.timeout = timeout
        self.binary_media_types = tuple(binary_media_types)
        self.region = region
        self.function_name = function_name
        self.function_arn = f"arn:aws:lambda:{region}:{LOCAL_ACCOUNT}:function:{function_name}"
        # The latest events handed to the handler, for tests.
        self.events: deque[dict[str, Any]] = deque(maxlen=100)
        super().__init__(port)
        self.url = ""

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler, bound to this front."""
        front = self

        class RequestHandler(_RequestHandler):
            owner = front

        return RequestHandler

    def start(self) -> LocalApiGateway:
        """Serve in a background thread and return self; `url` is the stage's invoke URL."""
        host, port = self.serve()
        self.url = f"http://{host}:{port}/{self.stage}"
        return self

    def cors_headers(self) -> dict[str, str]:
        """Headers API Gateway adds to its own answers (preflight, 403, 504)."""
        return {"Access-Control-Allow-Origin": self.allowed_origin} if self.allowed_origin else {}

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
        """Return the route for (method, path), its path parameters, and the methods the path allows."""
        found: Route | None = None
        params: dict[str, str] = {}
        allowed: list[str] = []
        for route in self.routes:
            hit = route.pattern.match(path)
            if hit is None:
                continue
            allowed.append(route.method)
            if route.method == method:
                found, params = route, {k: unquote(v) for k, v in hit.groupdict().items()}
        return found, params, allowed

    def build_event(
        self,
        route: Route,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        auth: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Return the REST proxy (v1) event API Gateway would send for this request (`auth`: what the
        inbound auth adds to its requestContext)."""
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in headers:
            single[name] = value
            multi.setdefault(name, []).append(value)
        parsed_query = parse_qs(query, keep_blank_values=True)
        content_type = single.get("Content-Type", single.get("content-type", "")).split(";")[0].strip()
        is_binary = content_type in self.binary_media_types
        text: str | None = None
        if body and not is_binary:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                is_binary = True
        _, params, _ = self.match(method, path)
        now = datetime.now(UTC)
        request_id = str(uuid.uuid4())
        return {
            "resource": route.resource,
            "path": path,
            "httpMethod": method,
            "headers": single or None,
            "multiValueHeaders": multi or None,
            "queryStringParameters": {k: v[-1] for k, v in parsed_query.items()} or None,
            "multiValueQueryStringParameters": parsed_query or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": LOCAL_ACCOUNT,
                "apiId": "local",
                "domainName": single.get("Host", "127.0.0.1"),
                "extendedRequestId": request_id,
                "httpMethod": method,
                "identity": {
                    "sourceIp": "127.0.0.1",
                    "userAgent": single.get("User-Agent"),
                    **(auth or {}).get("identity", {}),
                },
                **({"authorizer": auth["authorizer"]} if auth and "authorizer" in auth else {}),
                "path": f"/{self.stage}{path}",
                "protocol": "HTTP/1.1",
                "requestId": request_id,
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "resourceId": "local",
                "resourcePath": route.resource,
                "stage": self.stage,
            },
            "body": (base64.b64encode(body).decode() if is_binary else text) if body else None,
            "isBase64Encoded": bool(body) and is_binary,
        }

    def invoke(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """Call the handler as Lambda would; None when it outlives the integration timeout."""
        self.events.append(event)
        context = LambdaContext.for_invocation(self.function_name, self.region, self.timeout)
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["result"] = self.handler(event, context)
            except Exception as exc:  # a Lambda error becomes API Gateway's 502
                outcome["error"] = exc

        worker = threading.Thread(target=run, name="local-lambda", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            return None
        result = outcome.get("result")
        return result if isinstance(result, dict) else {"malformed": True}


class _RequestHandler(BaseHTTPRequestHandler):
    owner: LocalApiGateway
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def __getattr__(self, name: str) -> Any:
        # Every method, HEAD and TRACE included, goes where API Gateway sends it (a method the API does
        # not define is its 403); http.server would answer 501 for any method without a do_ handler.
        if name.startswith("do_"):
            return lambda: self._handle(name[3:])
        raise AttributeError(name)

    def _handle(self, method: str) -> None:
        owner = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            self._send(413, {"message": "Request Too Long"}, owner.cors_headers(), close=True)
            return
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        prefix = f"/{owner.stage}"
        path = url.path[len(prefix) :] if url.path.startswith(prefix + "/") else None
        route, _, allowed = owner.match(method, path) if path is not None else (None, {}, [])
        if method == "OPTIONS" and allowed:
            # The template's Cors setting makes API Gateway answer preflights with a mock integration.
            headers = {
                **owner.cors_headers(),
                "Access-Control-Allow-Methods": ",".join([*allowed, "OPTIONS"]),
                "Access-Control-Allow-Headers": owner.allowed_headers,
                "Access-Control-Max-Age": "600",
            }
            self._send(200, None, headers)
            return
        if route is None or path is None:
            self._send(403, {"message": "Missing Authentication Token"}, owner.cors_headers())
            return
        denied, auth = owner.auth.check(self.headers)
        if denied is not None:
            self._send(denied.status, {"message": denied.message}, owner.cors_headers())
            return
        event = owner.build_event(route, method, path, url.query, list(self.headers.items()), body, auth)
        result = owner.invoke(event)
        if result is None:
            self._send(504, {"message": "Endpoint request timed out"}, owner.cors_headers())
            return
        status = result.get("statusCode")
        if not isinstance(status, int) or result.get("malformed"):
            self._send(502, {"message": "Internal server error"}, owner.cors_headers())
            return
        raw = result.get("body") or ""
        payload = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
        self._send(status, payload, response_headers(result))

    def _send(
        self, status: int, body: Any, headers: dict[str, str] | list[tuple[str, str]], close: bool = False
    ) -> None:
        pairs = list(headers.items()) if isinstance(headers, dict) else list(headers)
        if body is None:
            data = b""
        elif isinstance(body, bytes):
            data = body
        else:
            data = json.dumps(body).encode()
            pairs.insert(0, ("Content-Type", "application/json"))
        self.send_response(status)
        for name, value in pairs:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":  # a HEAD answer has the headers of the GET answer and no body
            self.wfile.write(data)


def response_headers(result: dict[str, Any]) -> list[tuple[str, str]]:
    """Merge a proxy result's `headers` and `multiValueHeaders` as API Gateway does: for a name in both,
    only the multi-value list is sent."""
    multi = {
        str(k): [str(v) for v in values] for k, values in (result.get("multiValueHeaders") or {}).items()
    }
    pairs = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items() if str(k) not in multi]
    return pairs + [(name, value) for name, values in multi.items() for value in values]
