"""A local AgentCore data plane: `POST /runtimes/{arn}/invocations` forwarded to a step's `/invocations`.

boto3's real `invoke_agent_runtime` talks to it over HTTP when `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE`
points here, so botocore's serialization, error parsing, retries and streaming body all run. The
request path, headers and `qualifier`/`accountId` query follow botocore's service model for
InvokeAgentRuntime (bedrock-agentcore 2024-02-28). What the real service does with an agent's own
non-2xx answer is not documented: `container_errors="passthrough"` (default) relays it unchanged,
`"runtime_client_error"` answers 424 RuntimeClientError instead.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from devtools.httpserver import LoopbackHttpServer

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
REQUEST_ID_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"
# Headers InvokeAgentRuntime may carry that the runtime hands on to the container.
_FORWARDED = ("Content-Type", "Accept", "X-Amzn-Trace-Id", "traceparent", "tracestate", "baggage")
_PATH_RE = re.compile(r"^/runtimes/(?P<runtime>[^/]+)/invocations$")
MAX_PAYLOAD_BYTES = 100_000_000


def runtime_arn(runtime_id: str, region: str = "us-east-1", account: str = "123456789012") -> str:
    """Return the ARN of a (local) runtime id."""
    return f"arn:aws:bedrock-agentcore:{region}:{account}:runtime/{runtime_id}"


@dataclass
class Invocation:
    """One call that passed the ARN, qualifier and session checks; recorded before the agent answers."""

    runtime_arn: str
    qualifier: str
    session_id: str
    request_id: str
    status: int | None
    error_code: str | None


@dataclass(frozen=True)
class Fault:
    """An injected data-plane error answered instead of forwarding."""

    code: str
    status: int
    message: str


class RuntimeEmulator(LoopbackHttpServer):
    """A ThreadingHTTPServer on 127.0.0.1 serving InvokeAgentRuntime for the runtimes it knows."""

    thread_name = "runtime-emulator"

    def __init__(
        self,
        agents: dict[str, str],
        region: str = "us-east-1",
        qualifiers: tuple[str, ...] = ("DEFAULT",),
        container_errors: str = "passthrough",
        agent_timeout: float = 900.0,
    ) -> None:
        if container_errors not in ("passthrough", "runtime_client_error"):
            raise ValueError("container_errors is 'passthrough' or 'runtime_client_error'")
        # runtime ARN -> base URL of the agent serving it (e.g. StepServer.url).
        self.agents = dict(agents)
        self.region = region
        self.qualifiers = qualifiers
        self.container_errors = container_errors
        self.agent_timeout = agent_timeout
        self.invocations: list[Invocation] = []
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        super().__init__()
        self.endpoint_url = ""

    def inject(
        self, code: str, status: int, times: int = 1, message: str = "injected by the emulator"
    ) -> None:
        """Answer the next `times` calls with this data-plane error (e.g. ThrottlingException, 429)."""
        with self._lock:
            self._faults.extend(Fault(code, status, message) for _ in range(times))

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler, bound to this emulator."""
        emulator = self

        class Handler(_Handler):
            owner = emulator

        return Handler

    def start(self) -> RuntimeEmulator:
        """Start serving on an ephemeral loopback port and return self."""
        host, port = self.serve()
        self.endpoint_url = f"http://{host}:{port}"
        return self

    def env(self) -> dict[str, str]:
        """Return the variables that point a boto3 bedrock-agentcore client at this emulator."""
        return {"AWS_ENDPOINT_URL_BEDROCK_AGENTCORE": self.endpoint_url}

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _record(self, invocation: Invocation) -> None:
        with self._lock:
            self.invocations.append(invocation)


class _Handler(BaseHTTPRequestHandler):
    owner: RuntimeEmulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return  # keep test and demo output readable

    def do_POST(self) -> None:
        """InvokeAgentRuntime."""
        url = urlsplit(self.path)
        match = _PATH_RE.match(url.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            self._error(400, "ValidationException", "payload is larger than 100000000 bytes", close=True)
            return
        payload = self.rfile.read(length) if length else b""
        if match is None:
            self._error(404, "UnknownOperationException", f"no operation at {url.path}")
            return
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        arn = unquote(match["runtime"])
        if not arn.startswith("arn:"):
            # A bare runtime id needs the accountId query parameter (botocore's model).
            account = query.get("accountId")
            if not account:
                self._error(400, "ValidationException", "accountId is required with a runtime id")
                return
            arn = runtime_arn(arn, self.owner.region, account)
        qualifier = query.get("qualifier", "DEFAULT")
        session_id = self.headers.get(SESSION_HEADER, "")
        if not 33 <= len(session_id) <= 256:
            self._error(400, "ValidationException", "runtimeSessionId must be 33 to 256 characters")
            return
        agent_url = self.owner.agents.get(arn)
        if agent_url is None or qualifier not in self.owner.qualifiers:
            self._error(404, "ResourceNotFoundException", "no such runtime or endpoint")
            return
        request_id = str(uuid.uuid4())
        fault = self.owner._next_fault()
        if fault is not None:
            self.owner._record(Invocation(arn, qualifier, session_id, request_id, fault.status, fault.code))
            self._error(fault.status, fault.code, fault.message, request_id=request_id)
            return
        self._forward(agent_url, arn, qualifier, session_id, request_id, payload)

    def _forward(
        self, agent_url: str, arn: str, qualifier: str, session_id: str, request_id: str, payload: bytes
    ) -> None:
        target = urlsplit(agent_url)
        headers = {name: value for name in _FORWARDED if (value := self.headers.get(name)) is not None}
        headers.setdefault("Content-Type", "application/json")
        headers[SESSION_HEADER] = session_id
        headers[REQUEST_ID_HEADER] = request_id
        # Recorded now, so a caller that gives up early still sees that the agent was invoked.
        invocation = Invocation(arn, qualifier, session_id, request_id, None, None)
        self.owner._record(invocation)
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=self.owner.agent_timeout)
        try:
            try:
                conn.request("POST", "/invocations", body=payload, headers=headers)
                resp = conn.getresponse()
            except OSError:
                # The container is not there or not healthy: what the service reports as RuntimeClientError.
                invocation.status, invocation.error_code = 424, "RuntimeClientError"
                self._error(424, "RuntimeClientError", "the agent is not reachable", request_id=request_id)
                return
            content_type = resp.getheader("Content-Type", "application/json")
            ok = 200 <= resp.status < 300
            if not ok and self.owner.container_errors == "runtime_client_error":
                resp.read()
                invocation.status, invocation.error_code = 424, "RuntimeClientError"
                self._error(
                    424, "RuntimeClientError", "the agent answered with an error", request_id=request_id
                )
                return
            invocation.status = resp.status
            try:
                self._relay(resp, content_type, session_id, request_id)
            except (BrokenPipeError, ConnectionResetError):
                # The caller gave up (its read timeout); the agent's work is done either way.
                self.close_connection = True
        finally:
            conn.close()

    def _relay(
        self, resp: http.client.HTTPResponse, content_type: str, session_id: str, request_id: str
    ) -> None:
        self.send_response(resp.status)
        self.send_header("Content-Type", content_type)
        self.send_header(SESSION_HEADER, session_id)
        self.send_header("x-amzn-RequestId", request_id)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        # Relay chunks as the agent writes them, so SSE streams through as it would from the service.
        while chunk := resp.read1(65536):
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _error(
        self, status: int, code: str, message: str, request_id: str | None = None, close: bool = False
    ) -> None:
        body = json.dumps({"message": message}).encode()
        self.send_response(status)
        # rest-json: botocore reads the error code from this header.
        self.send_header("x-amzn-errortype", f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/")
        self.send_header("x-amzn-RequestId", request_id or str(uuid.uuid4()))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)
