"""A local server in a child process on a loopback port: a scrubbed environment, a log file, a clean stop."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import httpx

from .loopback import free_port

__all__ = ["ChildProcess", "stop_process"]

# Variables a step server must not inherit from the developer's shell: they would
# point boto3 at a real account or a different emulator.
_SCRUBBED_PREFIXES = ("AWS_",)


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

    def __init__(
        self,
        env: dict[str, str] | None,
        port: int | None,
        startup_timeout: float,
        cwd: Path | None = None,
        pythonpath: Sequence[str] = (),
    ) -> None:
        self.port = port or free_port()
        self._env = env or {}
        self._startup_timeout = startup_timeout
        self._cwd = cwd
        # Import roots the child needs first (e.g. a checkout whose `shared` its code imports).
        self._pythonpath = tuple(pythonpath)
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
        env["PYTHONPATH"] = os.pathsep.join(p for p in (*self._pythonpath, env.get("PYTHONPATH", "")) if p)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command(), env=env, cwd=self._cwd, stdout=log, stderr=subprocess.STDOUT
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
