"""Fixtures for step 5: a Lambda-like environment, and the local stack (moto, step 4, a test agent, the
local AgentCore data plane) shared by the module's end-to-end tests."""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.emulator import EmbeddedAws, Resources
from devtools.runtime_emulator import RuntimeEmulator
from devtools.serve import StepServer, free_port
from tests.step5.support import STEP4_ARN, TEST_AGENT_ARN, lambda_proxy


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
def aws(moto_server: EmbeddedAws) -> EmbeddedAws:
    """The suite's moto server (tests/conftest.py)."""
    return moto_server


@pytest.fixture(scope="session")
def sinks(aws: EmbeddedAws) -> Resources:
    """Sinks for the session's step 4 server, created once."""
    return aws.create_resources()


@pytest.fixture(scope="session")
def step4(aws: EmbeddedAws, sinks: Resources) -> Iterator[StepServer]:
    with StepServer("4_dynamodb_sink", {**aws.env(), **sinks.env()}) as server:
        yield server


@pytest.fixture(scope="session")
def test_agent() -> Iterator[str]:
    """tests/step5/agent_app.py served by uvicorn in a thread on a loopback port."""

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
