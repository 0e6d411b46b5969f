"""A MicroVM's endpoint: its own loopback port, forwarding each request to the MicroVM's app.

As the developer guide's networking page has it: every request needs a token of CreateMicrovmAuthToken in
`X-aws-proxy-auth` (without one: 401; a forged, expired or another MicroVM's token: 403); the target port
is `X-aws-proxy-port` (not a port number: 400) or 8080, and must be in the token's allowedPorts (else
403); `X-aws-proxy-*` headers are removed before the request is forwarded. The request is counted as the
MicroVM's traffic (its idle time starts again when it ends), waits while the MicroVM starts, suspends or
resumes, and resumes a SUSPENDED one whose idle policy has autoResumeEnabled (held, then answered; 502 if
the resume fails). Answers that are the endpoint's own are JSON `{"message"}` (the service's body is not
documented).

The developer guide lists 403 for a missing token as well; this endpoint answers 401 for it, as this
project's issue asked (one constant, MISSING_TOKEN_STATUS). Locally a MicroVM's app listens on one
loopback port standing for 8080 (and on a second for its image's hook port, if that differs): a request
for any other port answers 502, as a port nothing listens on would. Plain HTTP/1.1 only (no WebSocket, no
TLS: the endpoint is on loopback).
"""

from __future__ import annotations

import http.client
import json
from http.server import BaseHTTPRequestHandler

from ..loopback import LoopbackHandler, LoopbackHttpServer
from .models import EndpointRefused, MicroVm, MicroVmPool
from .tokens import TokenIssuer, TokenRefused
from .wire import AUTH_HEADER, DEFAULT_APP_PORT, PORT_HEADER, PROXY_HEADER_PREFIX

__all__ = ["MISSING_TOKEN_STATUS", "MicroVmEndpoint"]

MISSING_TOKEN_STATUS = 401
# Read timeout towards the app: the service documents none for a MicroVM's own answers.
APP_READ_TIMEOUT = 900.0
_HOP_BY_HOP = frozenset(
    ("connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
     "transfer-encoding", "upgrade", "host", "content-length")
)  # fmt: skip


class MicroVmEndpoint(LoopbackHttpServer):
    """The endpoint of one MicroVM, on a loopback port of its own."""

    thread_name = "microvm-endpoint"

    def __init__(self, vm: MicroVm, pool: MicroVmPool, tokens: TokenIssuer) -> None:
        super().__init__(0)
        self.vm, self.pool, self.tokens = vm, pool, tokens
        # Idle keep-alive connections to the app, per target port.
        self.connections: dict[int, list[http.client.HTTPConnection]] = {}

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler, bound to this endpoint."""
        return _Proxy.bound(self)

    def open(self) -> str:
        """Serve; return the endpoint as the service gives it: a host, here `127.0.0.1:<port>`."""
        host, port = self.serve()
        return f"{host}:{port}"

    def target(self, port: int) -> int | None:
        """The loopback port of the MicroVM's app that stands for one of its ports, if any."""
        vm = self.vm
        if port == DEFAULT_APP_PORT and vm.process is not None:
            return vm.process.port
        if vm.image.hooks is not None and port == vm.image.hooks.port:
            return vm.hooks_port
        return None


class _Proxy(LoopbackHandler):
    owner: MicroVmEndpoint

    def do_GET(self) -> None:
        """Forwarded."""
        self._proxy()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _body(self, received: dict[str, str]) -> bytes:
        if received.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        length = int(received.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _proxy(self) -> None:
        endpoint, vm = self.owner, self.owner.vm
        # One pass over the headers: email.message's get() scans them all on every call.
        received = {name.lower(): value for name, value in self.headers.items()}
        try:
            body = self._body(received)
        except ValueError:
            self.close_connection = True
            self._answer(400, "the request body is malformed")
            return
        token = received.get(AUTH_HEADER.lower())
        if not token:
            self._answer(
                MISSING_TOKEN_STATUS, f"a token from CreateMicrovmAuthToken is required in {AUTH_HEADER}"
            )
            return
        try:
            grant = endpoint.tokens.check(token, vm.id)
        except TokenRefused as refused:
            self._answer(403, str(refused))
            return
        raw_port = received.get(PORT_HEADER.lower())
        port = DEFAULT_APP_PORT
        if raw_port is not None:
            if not raw_port.strip().isdigit() or not 1 <= int(raw_port) <= 65535:
                self._answer(400, f"{PORT_HEADER} must be a port number from 1 to 65535, got {raw_port!r}")
                return
            port = int(raw_port)
        if not grant.allows(port):
            self._answer(403, f"port {port} is not in the token's allowedPorts")
            return
        try:
            endpoint.pool.enter(vm, endpoint.pool.entry_timeout(vm))
        except EndpointRefused as refused:
            self._answer(refused.status, refused.message)
            return
        try:
            target = endpoint.target(port)
            if target is None:
                self._answer(502, f"nothing listens on port {port} in MicroVM {vm.id}")
                return
            self._forward(target, body)
        finally:
            endpoint.pool.leave(vm)

    def _forward(self, port: int, body: bytes) -> None:
        headers = {
            name: value
            for name, value in self.headers.items()
            if name.lower() not in _HOP_BY_HOP and not name.lower().startswith(PROXY_HEADER_PREFIX)
        }
        if body or self.command in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        pool = self.owner.connections.setdefault(port, [])
        while True:
            reused = bool(pool)
            conn = (
                pool.pop()
                if reused
                else http.client.HTTPConnection("127.0.0.1", port, timeout=APP_READ_TIMEOUT)
            )
            try:
                conn.request(self.command, self.path, body=body or None, headers=headers)
                response = conn.getresponse()
                break
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                # A kept connection the app has closed meanwhile: try a new one.
                if not reused or isinstance(exc, TimeoutError):
                    self._answer(502, f"the MicroVM's app did not answer on its port: {exc}")
                    return
        try:
            self._relay(response)
        except (OSError, http.client.HTTPException):
            self.close_connection = True
            conn.close()
            return
        if response.will_close:
            conn.close()
        else:
            pool.append(conn)

    def _relay(self, response: http.client.HTTPResponse) -> None:
        headers = [(name, value) for name, value in response.getheaders() if name.lower() not in _HOP_BY_HOP]
        length = response.getheader("Content-Length")
        if length is not None or self.command == "HEAD" or response.status in (204, 304):
            self.answer(response.status, response.read(), headers)
            return
        self.send_response(response.status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        # Chunk by chunk, so a stream (SSE) reaches the client as the app writes it.
        while chunk := response.read1(65536):
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _answer(self, status: int, message: str) -> None:
        self.answer(status, json.dumps({"message": message}).encode(), {"Content-Type": "application/json"})
