"""One way to serve: the images' CMD and direct code deploy's entry point both run `python agent.py`."""

from __future__ import annotations

import ast
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from local_cloud.http import call
from local_cloud.loopback import free_port
from local_cloud.children import stop_process
from shared.agentcore import serving
from tests.helpers import ROOT

STEPS_AND_EXAMPLE = (
    "0_run_default_agentcore",
    "1_compute_without_model",
    "2_sqs_sink",
    "3_s3_sink",
    "4_dynamodb_sink",
    "examples/lambda_on_agentcore",
)


class _App:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def run(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


@pytest.mark.parametrize(("log_level", "expected"), [(None, logging.WARNING), ("INFO", logging.INFO)])
def test_serve_runs_the_sdk_with_our_uvicorn_options(
    log_level: str | None, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PORT", raising=False)
    if log_level is None:
        monkeypatch.delenv("LOG_LEVEL", raising=False)
    else:
        monkeypatch.setenv("LOG_LEVEL", log_level)
    app = _App()
    try:
        serving.serve(app)
        level = logging.getLogger("bedrock_agentcore.app").level
    finally:
        monkeypatch.delenv("LOG_LEVEL", raising=False)
        serving.configure_logging()
    # No host: the SDK picks 0.0.0.0 in a container (DOCKER_CONTAINER, /.dockerenv), loopback elsewhere.
    assert app.calls == [
        {"port": 8080, "loop": "asyncio", "http": "httptools", "access_log": False, "log_level": "warning"}
    ]
    assert level == expected


def test_the_cli_arguments_say_the_same_as_the_options() -> None:
    args = serving.UVICORN_ARGS
    options = serving.UVICORN_OPTIONS
    assert args[args.index("--loop") + 1] == options["loop"]
    assert args[args.index("--http") + 1] == options["http"]
    assert args[args.index("--log-level") + 1] == options["log_level"]
    assert ("--no-access-log" in args) is (options["access_log"] is False)


@pytest.mark.parametrize("folder", STEPS_AND_EXAMPLE)
def test_every_image_and_main_block_goes_through_serve(folder: str) -> None:
    path = ROOT / folder
    cmd = next(line for line in (path / "Dockerfile").read_text().splitlines() if line.startswith("CMD "))
    assert json.loads(cmd[4:]) == ["opentelemetry-instrument", "python", "agent.py"]
    tree = ast.parse((path / "agent.py").read_text())
    main = [node for node in tree.body if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)]
    assert [ast.unparse(stmt) for stmt in main[0].body] == ["serve(app)"]


def test_python_agent_py_serves_quietly_on_port(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOG_LEVEL", "DOCKER_CONTAINER"))}
    env.update({"PORT": str(port), "PYTHONPATH": str(ROOT)})
    log = tmp_path / "agent.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "1_compute_without_model" / "agent.py")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        body = _post_when_ready(port, {"prompt": {"a": 1, "b": 2}})
    finally:
        stop_process(process)
    assert body == {"result": 3}
    # LOG_LEVEL unset (as on direct code deploy): no SDK line per invocation, no access log line.
    assert "Invocation completed" not in log.read_text() and "POST /invocations" not in log.read_text()


def _post_when_ready(port: int, payload: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call(f"http://127.0.0.1:{port}/invocations", payload, timeout=5)[2]
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
