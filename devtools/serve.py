"""Serve a step's `agent:app` in its own process on a loopback port, as `agentcore dev` does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx

from devtools import http
from devtools.stage import refresh_if_stale
from devtools.steps import ROOT, step_dir

# Variables a step server must not inherit from the developer's shell: they would
# point boto3 at a real account or a different emulator.
_SCRUBBED_PREFIXES = ("AWS_",)


def free_port() -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_P = TypeVar("_P", bound="ChildProcess")


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """Terminate a child process if it still runs; kill it if it has not exited after 10 s."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class ChildProcess:
    """A local server in a child process on a loopback port: scrubbed environment, log file, clean stop."""

    name = "child process"

    def __init__(self, env: dict[str, str] | None, port: int | None, startup_timeout: float) -> None:
        self.port = port or free_port()
        self._env = env or {}
        self._startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"agentcore-{self.name}-{self.port}.log"

    def command(self) -> list[str]:
        """Return the command line that starts the server."""
        raise NotImplementedError

    def is_ready(self) -> bool:
        """Return whether the server answers; OSError, ValueError and httpx's errors mean not yet."""
        raise NotImplementedError

    def start(self: _P) -> _P:
        """Start the process and wait until it is ready."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
        env.update(self._env)
        # The repository root, so `shared` resolves as it does after `make stage`.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command(), env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start-up:\n{self.log_path.read_text()[-4000:]}")
            try:
                if self.is_ready():
                    return self
            except (OSError, ValueError, httpx.HTTPError):
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"{self.name} did not become ready within {self._startup_timeout} s")

    def stop(self) -> None:
        """Stop the process (terminate, then kill after 10 s)."""
        stop_process(self.process)
        self.process = None

    def __enter__(self: _P) -> _P:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class StepServer(ChildProcess):
    """A uvicorn child process serving <step>/agent.py:app on 127.0.0.1."""

    def __init__(
        self,
        step: str,
        env: dict[str, str] | None = None,
        port: int | None = None,
        log_level: str = "WARNING",
        uvicorn_args: tuple[str, ...] = ("--loop", "auto", "--http", "auto"),
        startup_timeout: float = 30.0,
    ) -> None:
        self.step = self.name = step
        self.folder = step_dir(step)
        super().__init__({"LOG_LEVEL": log_level, **(env or {})}, port, startup_timeout)
        self.url = f"http://127.0.0.1:{self.port}"
        self._uvicorn_args = uvicorn_args

    def start(self) -> StepServer:
        """Start the step (after refreshing a stale `make stage` copy that would shadow shared/)."""
        refresh_if_stale(self.folder)
        return super().start()

    def command(self) -> list[str]:
        """uvicorn on agent:app from the step folder, as `agentcore dev` runs it."""
        return [
            sys.executable, "-m", "uvicorn", "agent:app",
            "--app-dir", str(self.folder),
            "--host", "127.0.0.1", "--port", str(self.port),
            "--no-access-log", "--log-level", "warning",
            *self._uvicorn_args,
        ]  # fmt: skip

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
