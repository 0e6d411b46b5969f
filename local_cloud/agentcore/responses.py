"""The local data plane's wire handlers: InvokeAgentRuntime and StopRuntimeSession (the /_local/ views and
faults are developer_api's).

What the service does with a container's own non-2xx answer is not documented:
`container_errors="passthrough"` (default) relays it unchanged, `"runtime_client_error"` answers 424
RuntimeClientError instead. An invocation cut short because its session was stopped or its process
died answers 424 RuntimeClientError when no answer had started, else its stream just ends.
"""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..loopback import LoopbackHandler
from . import developer_api, wire
from .models import STOPPED, Invocation, Plane, Session
from .wire import ServiceError

__all__ = ["handler_for"]

# 15 minutes: the service's limit for a synchronous request (a stream may last 60).
AGENT_READ_TIMEOUT = 900.0
_FORWARDED = {name.lower(): name for name in wire.FORWARDED_HEADERS}


class _Cut(Exception):
    """The session ended while its answer was being relayed."""


def handler_for(plane: Plane) -> type[BaseHTTPRequestHandler]:
    """The request handler class bound to a data plane."""

    class Handler(_Handler):
        owner = plane

    return Handler


class _Handler(LoopbackHandler):
    owner: Plane

    # -- routing ---------------------------------------------------------------------------------

    def do_GET(self) -> None:
        """The local views (developer_api)."""
        try:
            self._json(200, developer_api.view(self.owner, urlsplit(self.path).path))
        except ServiceError as err:
            self._error(err)

    def do_POST(self) -> None:
        """InvokeAgentRuntime, StopRuntimeSession, and the local fault endpoints."""
        url = urlsplit(self.path)
        request_id = str(uuid.uuid4())
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length > wire.MAX_PAYLOAD_BYTES:
                self.close_connection = True  # the body is not read
                raise wire.validation(f"payload is larger than {wire.MAX_PAYLOAD_BYTES} bytes")
            body = self.rfile.read(length) if length else b""
            if (match := wire.INVOKE_PATH.match(url.path)) is not None:
                self._invoke(match["runtime"], url.query, body, request_id)
            elif (match := wire.STOP_PATH.match(url.path)) is not None:
                self._stop(match["runtime"], url.query, request_id)
            elif url.path.startswith("/_local/"):
                self._json(200, developer_api.act(self.owner, url.path, json.loads(body or b"{}")))
            else:
                raise ServiceError("UnknownOperationException", 404, f"no operation at POST {url.path}")
        except ServiceError as err:
            self._error(err, request_id)
        except (ValueError, KeyError, TypeError) as exc:
            self._error(wire.validation(f"bad request: {exc}"), request_id)

    # -- InvokeAgentRuntime ------------------------------------------------------------------------

    def _target(self, raw_arn: str, query: str) -> tuple[str, str, Mapping[str, str]]:
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        arn = unquote(raw_arn)
        if not arn.startswith("arn:"):
            # A bare runtime id needs the accountId query parameter (botocore's model).
            account = params.get("accountId")
            if not account:
                raise wire.validation("accountId is required with a runtime id")
            arn = wire.runtime_arn(arn, self.owner.region, account)
        session_id = self.headers.get(wire.SESSION_HEADER, "")
        if not wire.valid_session_id(session_id):
            raise wire.validation("runtimeSessionId must be 33 to 256 characters")
        return arn, session_id, params

    def _invoke(self, raw_arn: str, query: str, payload: bytes, request_id: str) -> None:
        arn, session_id, params = self._target(raw_arn, query)
        qualifier = params.get("qualifier", "DEFAULT")
        spec = self.owner.runtime(arn)
        if spec is None or qualifier not in spec.qualifiers:
            raise wire.not_found("no such runtime or endpoint")
        invocation = Invocation(spec.arn, qualifier, session_id, request_id, None, None)
        # Recorded now, so a caller that gives up early still sees that the agent was invoked.
        self.owner.record(invocation)
        fault = self.owner.faults.next()
        if fault is not None:
            invocation.status, invocation.error_code = fault.status, fault.code
            raise ServiceError(fault.code, fault.status, fault.message)
        try:
            session, invocation.cold_start = self.owner.pool.acquire(spec, session_id)
        except ServiceError as err:
            invocation.status, invocation.error_code = err.status, err.code
            raise
        try:
            self._forward(session, invocation, payload)
        finally:
            self.owner.pool.release(session)

    def _forward(self, session: Session, invocation: Invocation, payload: bytes) -> None:
        # One pass over the request's headers: email.message's get() scans them all on every call.
        headers = {"Content-Type": "application/json"}
        for name, value in self.headers.items():
            lower = name.lower()
            if lower in _FORWARDED or lower.startswith(wire.CUSTOM_HEADER_PREFIX):
                headers[_FORWARDED.get(lower, name)] = value
        headers[wire.SESSION_HEADER] = session.session_id
        headers[wire.REQUEST_ID_HEADER] = invocation.request_id
        conn: http.client.HTTPConnection | None = None
        try:
            conn, resp = self._send(session, headers, payload)
            if not 200 <= resp.status < 300 and self.owner.container_errors == "runtime_client_error":
                resp.read()
                raise wire.runtime_client_error("the agent answered with an error")
            invocation.status = resp.status
            try:
                self._relay(resp, session, invocation.request_id)
            except (OSError, http.client.HTTPException, _Cut):
                # The caller gave up, the session was stopped, or its process died mid-answer.
                self.close_connection = True
                conn.close()
                conn = None
                return
            if resp.will_close:
                conn.close()
                conn = None
        except ServiceError as err:
            invocation.status, invocation.error_code = err.status, err.code
            raise
        finally:
            if conn is not None and session.status == "running":
                session.connections.append(conn)
            elif conn is not None:
                conn.close()

    def _send(
        self, session: Session, headers: dict[str, str], payload: bytes
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """POST /invocations on a kept-alive connection, or a new one."""
        while True:
            reused = bool(session.connections)
            if reused:
                conn = session.connections.pop()
            else:
                assert session.process is not None
                conn = http.client.HTTPConnection(
                    "127.0.0.1", session.process.port, timeout=AGENT_READ_TIMEOUT
                )
            try:
                conn.request("POST", "/invocations", body=payload, headers=headers)
                return conn, conn.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                # uvicorn closes a connection idle for 5 s: a kept one may be gone, try a new one.
                if not reused or isinstance(exc, TimeoutError):
                    raise self._failed(session, exc) from exc

    def _failed(self, session: Session, exc: BaseException) -> ServiceError:
        if session.status == "ended" and session.ended_reason != "crashed":
            reason = session.ended_reason
            return wire.runtime_client_error(f"the session was ended ({reason}) during the call")
        if self.owner.pool.crashed_during(session):
            exit_ = session.process.poll() if session.process else None
            how = exit_.describe() if exit_ else "exited"
            return wire.runtime_client_error(f"the session's runtime process ended unexpectedly ({how})")
        return wire.runtime_client_error(f"the agent is not reachable: {exc}")

    def _relay(self, resp: http.client.HTTPResponse, session: Session, request_id: str) -> None:
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.getheader("Content-Type", "application/json"))
        self.send_header(wire.SESSION_HEADER, session.session_id)
        self.send_header("x-amzn-RequestId", request_id)
        length = resp.getheader("Content-Length")
        if length is not None:
            self.send_header("Content-Length", length)
            self.end_headers()
            self.wfile.write(resp.read())
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        # Relay chunks as the agent writes them, so SSE streams through as it would from the service.
        while chunk := resp.read1(65536):
            if session.status == "ended":
                raise _Cut  # StopRuntimeSession "stops any ongoing streaming responses"
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # -- StopRuntimeSession ------------------------------------------------------------------------

    def _stop(self, raw_arn: str, query: str, request_id: str) -> None:
        arn, session_id, params = self._target(raw_arn, query)
        spec = self.owner.runtime(arn)
        if spec is None or params.get("qualifier", "DEFAULT") not in spec.qualifiers:
            raise wire.not_found("no such runtime or endpoint")
        session = self.owner.pool.find(spec.arn, session_id)
        if session is None or not self.owner.pool.end(session, STOPPED):
            # The documented answer for a session that is unknown or already terminated.
            raise wire.not_found(f"no running session {session_id}")
        self._json(200, {}, {wire.SESSION_HEADER: session_id, "x-amzn-RequestId": request_id})

    # -- answers -----------------------------------------------------------------------------------

    def _json(self, status: int, doc: Any, headers: Mapping[str, str] | None = None) -> None:
        self.answer(status, json.dumps(doc).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _error(self, err: ServiceError, request_id: str | None = None) -> None:
        self.answer(err.status, err.body(), err.headers(request_id))
