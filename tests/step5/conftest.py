"""Fixtures for step 5: the Lambda module, a stubbed runtime client, and the local stack over loopback."""

from __future__ import annotations

import copy
import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.emulator import EmbeddedAws, Resources
from devtools.runtime_emulator import RuntimeEmulator, runtime_arn
from devtools.serve import ROOT, StepServer, free_port

STEP5 = ROOT / "5_api_gateway_proxy"
EVENTS = Path(__file__).parent / "events"
STEP4_ARN = runtime_arn("step4_dynamodb_sink-local")
TEST_AGENT_ARN = runtime_arn("step5_test_agent-local")
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:agentcore-proxy"

# Lambda puts the code folder on sys.path; shared/ comes from the repository root here (appended, so a
# copy left by `make stage` in the step folder never shadows it).
if str(STEP5) not in sys.path:
    sys.path.append(str(STEP5))

import lambda_proxy  # noqa: E402


class FakeContext:
    """The Lambda context attributes the handler reads."""

    def __init__(self, function_arn: str = FUNCTION_ARN) -> None:
        self.invoked_function_arn = function_arn
        self.aws_request_id = "lambda-request-0001"
        self.function_name = function_arn.rsplit(":", 1)[-1]

    def get_remaining_time_in_millis(self) -> int:
        return 28_000


def event(**changes: Any) -> dict[str, Any]:
    """Return the recorded POST /calculate event with some keys replaced."""
    base = json.loads((EVENTS / "calculate_post.json").read_text())
    base = copy.deepcopy(base)
    base.update(changes)
    return base


def with_header(evt: dict[str, Any], name: str, value: str | None) -> dict[str, Any]:
    """Set (or with None remove) a header in both header maps, as API Gateway would send it."""
    for key in [k for k in evt["headers"] if k.lower() == name.lower()]:
        del evt["headers"][key]
        del evt["multiValueHeaders"][key]
    if value is not None:
        evt["headers"][name] = value
        evt["multiValueHeaders"][name] = [value]
    return evt


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A Lambda-like environment with no real credentials and a fresh client per test."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", "AGENT_RUNTIME_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AGENT_RUNTIME_ARN", STEP4_ARN)
    lambda_proxy.reset_client()
    yield
    lambda_proxy.reset_client()


@pytest.fixture(scope="session")
def aws() -> Iterator[EmbeddedAws]:
    with EmbeddedAws() as embedded:
        yield embedded


@pytest.fixture(scope="session")
def resources(aws: EmbeddedAws) -> Resources:
    return aws.create_resources()


@pytest.fixture(scope="session")
def step4(aws: EmbeddedAws, resources: Resources) -> Iterator[StepServer]:
    with StepServer("4_dynamodb_sink", {**aws.env(), **resources.env()}) as server:
        yield server


@pytest.fixture(scope="session")
def test_agent() -> Iterator[str]:
    """tests/step5/agent_app.py served by uvicorn in a thread on a loopback port."""
    import importlib.util

    import uvicorn

    # Loaded by path: this folder's package name depends on whether tests/ has an __init__.py.
    spec = importlib.util.spec_from_file_location(
        "step5_test_agent_app", Path(__file__).with_name("agent_app.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.app
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test agent did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def emulator(step4: StepServer, test_agent: str) -> Iterator[RuntimeEmulator]:
    with RuntimeEmulator({STEP4_ARN: step4.url, TEST_AGENT_ARN: test_agent}) as emu:
        yield emu
