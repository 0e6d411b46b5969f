"""Helpers for the tests: load a step's app, talk to it, read what its sink holds."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from starlette.testclient import TestClient

from devtools.modules import load_module
from devtools.steps import PLAIN_STEPS, ROOT, SINK_STEPS

# The steps every HTTP-level test serves (steps 1-4; step 0 needs a model, step 5 is a Lambda).
ALL_STEPS = PLAIN_STEPS
__all__ = ["ALL_STEPS", "SINK_STEPS", "agentcore_client", "load_step", "step_client", "wait_until"]
REQUEST_ID_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"
SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"


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


def wait_until(check: Any, timeout: float, what: str, every: float = 0.05) -> Any:
    """Poll `check()` until it returns something truthy (returned) or `timeout` seconds pass."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {timeout} s")
        time.sleep(every)
