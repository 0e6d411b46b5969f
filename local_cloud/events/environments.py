"""A deployed function's local execution environment: its handler in a process of its own, with the
environment variables its configuration gives it plus the ones Lambda's runtime sets, invoked one event at
a time. It starts on its first invocation, as Lambda starts one (the init phase, outside the function's
timeout). A handler that outlives the function's timeout is cut off as Lambda cuts it off: the environment
is replaced and the invocation fails with `Sandbox.Timedout`."""

from __future__ import annotations

import json
import sys
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..children import ChildProcess
from .lambda_wire import FUNCTION_ERROR_HEADER, INVOCATIONS_PATH, REQUEST_ID_HEADER
from .patches import Invocation

__all__ = ["FunctionEnvironment", "FunctionSpec"]

# Lambda's Python runtime identifies itself so (AWS_EXECUTION_ENV); the images' Python is 3.12.
EXECUTION_ENV = "AWS_Lambda_python3.12"


@dataclass(frozen=True)
class FunctionSpec:
    """A deployed function as its environment needs it: where its code is and how it is configured."""

    name: str
    arn: str
    handler_ref: str  # path/to/file.py:function
    code_dir: Path
    variables: Mapping[str, str]
    timeout: int
    memory_mb: int
    region: str


class FunctionEnvironment(ChildProcess):
    """One execution environment of a function, in a child process (started by start())."""

    name = "lambda"

    def __init__(
        self,
        spec: FunctionSpec,
        extra_env: Mapping[str, str] | None = None,
        pythonpath: Sequence[str] = (),
        startup_timeout: float = 30.0,
    ) -> None:
        env = {
            **{name: str(value) for name, value in spec.variables.items()},
            **dict(extra_env or {}),
            # What Lambda's runtime sets in every execution environment.
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_EXECUTION_ENV": EXECUTION_ENV,
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "_HANDLER": spec.handler_ref,
            "PYTHONUNBUFFERED": "1",
        }
        super().__init__(env, None, startup_timeout, cwd=spec.code_dir, pythonpath=pythonpath)
        self.spec = spec
        self._one_at_a_time = threading.Lock()
        self.invocations = 0

    def command(self) -> list[str]:
        """python -m local_cloud.events.function_server for this function."""
        return [
            sys.executable, "-m", "local_cloud.events.function_server", "--handler", self.spec.handler_ref,
            "--function-name", self.spec.name, "--region", self.spec.region,
            "--timeout", str(self.spec.timeout), "--port", str(self.port),
        ]  # fmt: skip

    def is_ready(self) -> bool:
        """The handler is imported once the server answers."""
        return httpx.get(f"http://127.0.0.1:{self.port}/", timeout=1, trust_env=False).status_code == 200

    @property
    def running(self) -> bool:
        """Whether the environment's process is up (it starts on the first invocation)."""
        return self.process is not None and self.process.poll() is None

    def invoke(self, payload: bytes) -> Invocation:
        """Run one event through the handler (callers queue: one invocation at a time)."""
        request_id = str(uuid.uuid4())
        with self._one_at_a_time:
            if not self.running:
                self.stop()  # one that crashed, if any
                self.start()  # a cold start: the handler's module imported first
            self.invocations += 1
            try:
                response = httpx.post(
                    f"http://127.0.0.1:{self.port}{INVOCATIONS_PATH}",
                    content=payload,
                    headers={"Content-Type": "application/json", REQUEST_ID_HEADER: request_id},
                    # The function's timeout, plus a moment for the answer to travel.
                    timeout=httpx.Timeout(self.spec.timeout + 1.0, connect=5.0),
                    trust_env=False,
                )
            except httpx.TimeoutException:
                # Lambda stops a function at its timeout; the next event gets a fresh environment.
                self.stop()
                error = {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"Task timed out after {self.spec.timeout:.2f} seconds",
                    "requestId": request_id,
                }
                return Invocation(json.dumps(error).encode(), True, self._log_tail())
        return Invocation(response.content, FUNCTION_ERROR_HEADER in response.headers, self._log_tail())

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-4096:]
        except OSError:
            return ""
