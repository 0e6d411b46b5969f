"""Serve a step in its own process on a loopback port, as its image does: `python agent.py` (which serves
through `shared.agentcore.serving`) with PORT set."""

from __future__ import annotations

import sys
from typing import Any

from commands.stage import refresh_if_stale
from commands.steps import ROOT, step_dir
from local_cloud import http
from local_cloud.children import ChildProcess

__all__ = ["StepServer"]


class StepServer(ChildProcess):
    """A step's `python agent.py` on 127.0.0.1:<port>."""

    def __init__(
        self,
        step: str,
        env: dict[str, str] | None = None,
        port: int | None = None,
        log_level: str = "WARNING",
        startup_timeout: float = 30.0,
    ) -> None:
        self.step = self.name = step
        self.folder = step_dir(step)
        super().__init__(
            {"LOG_LEVEL": log_level, **(env or {})},
            port,
            startup_timeout,
            cwd=self.folder,
            # The checkout's shared/, as `make stage` would copy it into the image.
            pythonpath=(str(ROOT),),
        )
        self._env["PORT"] = str(self.port)
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> StepServer:
        """Start the step (after refreshing a stale `make stage` copy that would shadow shared/)."""
        refresh_if_stale(self.folder)
        return super().start()

    def command(self) -> list[str]:
        """`python agent.py`, the image's CMD without opentelemetry-instrument; PORT picks the port."""
        return [sys.executable, str(self.folder / "agent.py")]

    def is_ready(self) -> bool:
        """/ping answers Healthy (or HealthyBusy)."""
        return self.ping().get("status") in ("Healthy", "HealthyBusy")

    def ping(self) -> dict[str, Any]:
        """GET /ping."""
        return dict(http.get_json(f"{self.url}/ping", timeout=2))

    def invoke(
        self, payload: Any, headers: dict[str, str] | None = None, timeout: float = 60
    ) -> tuple[int, dict[str, Any]]:
        """POST /invocations with a JSON payload (or raw bytes); return (status, parsed body)."""
        status, _, body = http.call(f"{self.url}/invocations", payload, headers, timeout=timeout)
        return status, body or {}
