"""AgentCoreLocal: the local data plane, in-process (tests, the demo) or behind `agentcore-local`."""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import quote

from ..loopback import LoopbackHttpServer
from .control_plane import ControlPlane
from .models import STOPPED, Fault, FaultQueue, Invocation, SessionPool, Settings, ping_process
from .responses import handler_for
from .runtimes import RuntimeSpec
from .wire import SESSION_HEADER, local_region

__all__ = ["CONTAINER_ERRORS", "AgentCoreLocal"]

CONTAINER_ERRORS = ("passthrough", "runtime_client_error")


class AgentCoreLocal(LoopbackHttpServer):
    """A local AgentCore Runtime data plane on 127.0.0.1: one process per session, as the service does."""

    thread_name = "agentcore-local"

    def __init__(
        self,
        runtimes: Iterable[RuntimeSpec] = (),
        *,
        aws_endpoint: str | None = None,
        port: int = 0,
        settings: Settings | None = None,
        container_errors: str = "passthrough",
        base_env: Mapping[str, str] | None = None,
        **setting_overrides: Any,
    ) -> None:
        if container_errors not in CONTAINER_ERRORS:
            raise ValueError(f"container_errors is one of {', '.join(CONTAINER_ERRORS)}")
        super().__init__(port)
        self.region = local_region()
        self.settings = replace(settings or Settings(), **setting_overrides)
        self.container_errors = container_errors
        self._static: dict[str, RuntimeSpec] = {}
        for spec in runtimes:
            self.add_runtime(spec)
        self.aws_endpoint = aws_endpoint
        self._base_env = dict(base_env) if base_env is not None else None
        self.invocations: list[Invocation] = []
        self.faults = FaultQueue()
        self._lock = threading.Lock()
        self._control: ControlPlane | None = None
        self._pool: SessionPool | None = None
        self.endpoint_url = ""

    # -- lifecycle -------------------------------------------------------------------------------

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler, bound to this data plane."""
        return handler_for(self)

    def start(self) -> AgentCoreLocal:
        """Serve on the loopback port (ephemeral by default) and return self."""
        # The sessions get this process's environment as it is now (the runtime's own variables on top).
        base = self._base_env if self._base_env is not None else dict(os.environ)
        self._pool = SessionPool(self.settings, base)
        if self.aws_endpoint:
            self._control = ControlPlane(
                self.aws_endpoint, self.region, self._pool.log_dir / "artifacts", fallback=self._by_name()
            )
        host, port = self.serve()
        self.endpoint_url = f"http://{host}:{port}"
        self._pool.data_plane_url = self.endpoint_url
        return self

    def stop(self) -> None:
        """Stop serving, end every session (SIGTERM, then SIGKILL after the grace) and the zygotes."""
        super().stop()
        if self._pool is not None:
            self._pool.close()

    @property
    def pool(self) -> SessionPool:
        """The sessions (after start())."""
        if self._pool is None:
            raise RuntimeError("the data plane is not started")
        return self._pool

    def env(self) -> dict[str, str]:
        """The variables that point boto3 (and the starter toolkit) at this data plane."""
        return {
            "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE": self.endpoint_url,
            "BEDROCK_AGENTCORE_DP_ENDPOINT": self.endpoint_url,
        }

    # -- runtimes --------------------------------------------------------------------------------

    def add_runtime(self, spec: RuntimeSpec) -> None:
        """Serve one more runtime (by each of its ARNs)."""
        for arn in spec.arns():
            self._static[arn] = spec

    def prepare(self, arn: str) -> None:
        """Import a runtime before its first session (fork mode), as V2 snapshots it when it is deployed."""
        spec = self.runtime(arn)
        if spec is None:
            raise LookupError(f"no runtime {arn}")
        self.pool.prepare(spec)

    def _by_name(self) -> dict[str, RuntimeSpec]:
        return {spec.name: spec for spec in self._static.values()}

    def runtime(self, arn: str) -> RuntimeSpec | None:
        """The runtime an ARN names: a local one, else one deployed to the embedded AWS."""
        spec = self._static.get(arn)
        if spec is None and self._control is not None:
            spec = self._control.resolve(arn)
        return spec

    def runtime_views(self) -> list[dict[str, Any]]:
        """The local runtimes as JSON (deployed ones are read when invoked)."""
        return [
            {"name": s.name, "arn": s.arn, "folder": str(s.folder), "module": s.module, "source": s.source}
            for s in {id(s): s for s in self._static.values()}.values()
        ]

    # -- records and faults ----------------------------------------------------------------------

    def record(self, invocation: Invocation) -> None:
        """Keep an invocation in the record tests assert on."""
        with self._lock:
            self.invocations.append(invocation)

    def inject(self, code: str, status: int, times: int = 1, message: str | None = None) -> None:
        """Answer the next `times` invocations with this service error (e.g. ThrottlingException, 429)."""
        self.faults.add(Fault(code, status, message or "injected by the local data plane"), times)

    def _live(self, arn: str, session_id: str) -> Any:
        spec = self.runtime(arn)
        return self.pool.find(spec.arn if spec else arn, session_id)

    def kill(self, arn: str, session_id: str, sig: int = signal.SIGKILL) -> bool:
        """Signal a live session's process (SIGKILL by default): it then counts as crashed."""
        session = self._live(arn, session_id)
        if session is None:
            return False
        self.pool.kill(session, sig)
        return True

    def stop_session(self, arn: str, session_id: str) -> bool:
        """End a live session as StopRuntimeSession does."""
        session = self._live(arn, session_id)
        return session is not None and self.pool.end(session, STOPPED)

    def expire(self, arn: str, session_id: str, reason: str = "idle") -> bool:
        """End a live session now as if its idle timeout (or maxLifetime) had passed."""
        session = self._live(arn, session_id)
        return session is not None and self.pool.end(session, reason)

    # -- views -----------------------------------------------------------------------------------

    def sessions(self) -> list[dict[str, Any]]:
        """Every session as /_local/sessions lists it."""
        return [s.view() for s in self.pool.sessions()]

    def session(self, arn: str, session_id: str) -> dict[str, Any] | None:
        """The latest session with this id (running or ended), as /_local/sessions lists it."""
        spec = self.runtime(arn)
        key = (spec.arn if spec else arn, session_id)
        found = [s for s in self.pool.sessions() if s.key == key]
        return found[-1].view() if found else None

    def ping(self, arn: str, session_id: str) -> dict[str, Any]:
        """GET /ping of a live session's process, now."""
        session = self._live(arn, session_id)
        if session is None or session.process is None:
            raise LookupError(f"no running session {session_id}")
        return ping_process(session.process.port)

    def wait_ended(self, arn: str, session_id: str, timeout: float) -> dict[str, Any]:
        """Poll until the session has ended and its process has exited; return its view."""
        deadline = time.monotonic() + timeout
        while True:
            view = self.session(arn, session_id)
            if view is not None and view["status"] == "ended" and view["exit"] is not None:
                return view
            if time.monotonic() > deadline:
                raise TimeoutError(f"session {session_id} still {view and view['status']} after {timeout} s")
            time.sleep(0.02)

    def invocation_url(self, arn: str, qualifier: str = "DEFAULT") -> str:
        """The InvokeAgentRuntime URL of a runtime on this data plane (botocore's path)."""
        return f"{self.endpoint_url}/runtimes/{quote(arn, safe='')}/invocations?qualifier={qualifier}"

    def invoke(
        self,
        arn: str,
        payload: Any,
        session_id: str,
        qualifier: str = "DEFAULT",
        timeout: float = 60.0,
    ) -> tuple[int, dict[str, str], Any]:
        """InvokeAgentRuntime over HTTP as curl would send it; return (status, headers, parsed body)."""
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        port = int(self.endpoint_url.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request(
                "POST",
                f"/runtimes/{quote(arn, safe='')}/invocations?qualifier={qualifier}",
                body=data,
                headers={"Content-Type": "application/json", SESSION_HEADER: session_id},
            )
            resp = conn.getresponse()
            raw = resp.read()
            return resp.status, dict(resp.getheaders()), json.loads(raw) if raw else None
        finally:
            conn.close()
