"""Helpers for the tests: load a step's app, talk to it, read what its sink holds; the reliability
profile's volumes, the generated JSON the fuzz tests share, and what no response may leak."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from queue import Empty, Queue
from types import ModuleType
from typing import Any

from hypothesis import strategies as st
from starlette.testclient import TestClient

from commands.steps import PLAIN_STEPS, ROOT, SINK_STEPS
from harness.modules import load_module
from harness.waiting import wait_until
from shared.agentcore import lambda_adapter

# The steps every HTTP-level test serves (steps 1-4; step 0 needs a model, step 5 is a Lambda).
ALL_STEPS = PLAIN_STEPS
__all__ = [
    "ALL_STEPS",
    "FUZZ_EXAMPLES",
    "HEAVY",
    "JSON_VALUES",
    "LAMBDA_VARIABLES",
    "NUMBER_TEXT",
    "ROOT",
    "SINK_STEPS",
    "agentcore_client",
    "assert_no_leak",
    "load_step",
    "running",
    "script",
    "step_client",
    "wait_until",
]
REQUEST_ID_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"
SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
# What the Lambda adapter exports for the handler, as Lambda's runtime does.
LAMBDA_VARIABLES = (
    lambda_adapter.AWS_LAMBDA_FUNCTION_NAME,
    lambda_adapter.AWS_LAMBDA_FUNCTION_VERSION,
    lambda_adapter.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    lambda_adapter.AWS_LAMBDA_LOG_GROUP_NAME,
    lambda_adapter.AWS_LAMBDA_LOG_STREAM_NAME,
)


def script(name: str) -> str:
    """The path of one of the project's console scripts (pyproject.toml's [project.scripts]) in this venv."""
    return str(Path(sys.executable).with_name(name))


def load_step(step: str) -> ModuleType:
    """Import <step>/agent.py once, under a unique module name (every step's module is called agent)."""
    return load_module(ROOT / step / "agent.py", f"step_{step}_agent")


def step_client(step: str) -> TestClient:
    """A TestClient over the step's real BedrockAgentCoreApp."""
    return TestClient(load_step(step).app, raise_server_exceptions=False)


def agentcore_client(endpoint_url: str, read_timeout: float = 30) -> Any:
    """A real boto3 bedrock-agentcore client for a local data plane (test credentials, no retries)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "bedrock-agentcore",
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=read_timeout),
    )


def fake_credentials(monkeypatch: Any, region: str = "us-east-1") -> None:
    """Credentials and a region for moto in-process (the autouse fixture has already removed every AWS_*)."""
    for name, value in (
        ("AWS_REGION", region), ("AWS_DEFAULT_REGION", region), ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_SESSION_TOKEN", "testing"),
    ):  # fmt: skip
        monkeypatch.setenv(name, value)


# The default profile runs in `make test`; RELIABILITY_PROFILE=heavy multiplies the volumes.
HEAVY = os.environ.get("RELIABILITY_PROFILE", "").strip().lower() == "heavy"
FUZZ_EXAMPLES = 5_000 if HEAVY else 500

# JSON number literals, including the edges: huge and tiny exponents, long digit strings, -0.
NUMBER_TEXT = st.one_of(
    st.from_regex(r"\A-?(0|[1-9][0-9]{0,45})(\.[0-9]{1,45})?([eE][+-]?[0-9]{1,4})?\Z"),
    st.sampled_from(
        [
            "0",
            "-0",
            "0.0",
            "-0.0e-5",
            "1e125",
            "9.99999999999999999999999999999999999999e125",
            "1e126",
            "1e-130",
            "1e-131",
            "1" * 38,
            "1" * 39,
            "1" + "0" * 60,
            "0." + "0" * 129 + "1",
            "1E999999",
            "-1e-999999",
            "123456789012345678901234567890.12345678",
        ]
    ),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | NUMBER_TEXT.map(Decimal),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12,
)

# What must never reach a caller: tracebacks, file paths, credentials, raw exception reprs.
_LEAKS = [
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r'File "[^"]+", line \d+'),
    re.compile(r"(/[\w.-]+){2,}\.py"),
    re.compile(re.escape(str(ROOT))),
    re.compile(r"site-packages"),
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"aws_(secret_access_key|session_token)", re.IGNORECASE),
    re.compile(r"\btesting\b"),  # the value of the emulator's fake secret key and session token
    re.compile(r"botocore\.|urllib3\.|ClientError\("),
]


def assert_no_leak(text: str) -> None:
    """Fail if a response body carries exception text, a path or a credential."""
    for pattern in _LEAKS:
        assert not pattern.search(text), f"response leaks {pattern.pattern!r}: {text[:500]}"


@contextmanager
def running(
    args: list[str], until: list[re.Pattern[str]], timeout: float = 60, env: dict[str, str] | None = None
) -> Iterator[tuple[list[str], list[re.Match[str]]]]:
    """Start the command, read its stdout until every pattern has matched a line; SIGTERM it after."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **(env or {})}
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stderr is not None
    lines: list[str] = []
    found: dict[int, re.Match[str]] = {}
    # A thread reads stdout: a select() on the pipe misses lines already in the reader's buffer.
    queue: Queue[str] = Queue()
    threading.Thread(target=lambda: [queue.put(line) for line in process.stdout], daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        while len(found) < len(until):
            try:
                line = queue.get(timeout=max(0.01, deadline - time.monotonic())).rstrip("\n")
            except Empty:
                raise AssertionError(f"{args} printed {lines}; exit {process.poll()}") from None
            lines.append(line)
            for n, pattern in enumerate(until):
                if n not in found and (match := pattern.match(line)):
                    found[n] = match
        yield lines, [found[n] for n in range(len(until))]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
        lines.append(process.stderr.read())
