"""Fixtures for step 5: a Lambda-like environment, its runtime client stubbed, and the local stack (moto,
the local AgentCore data plane serving step 4 and a test agent, one process per session) shared by the
module's end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.stub import Stubber

from commands.worlds import Resources, create_sinks
from local_cloud.agentcore import AgentCoreLocal
from local_cloud.aws import EmbeddedAws
from tests.helpers import fake_credentials
from tests.steps.step5.support import (
    LOCAL_SETTINGS,
    SESSION_SECRET,
    STEP4_ARN,
    agent_app_runtime,
    lambda_proxy,
    step4_runtime,
)


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A Lambda-like environment with no real credentials and a fresh client per test."""
    # Every AWS_* is gone already (the autouse fixture); these are the proxy's own settings.
    for name in ("AGENT_RUNTIME_ID", "CALLER_IDENTITY", "JOB_LEASE_SECONDS", "RUNTIME_MAX_LIFETIME_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SESSION_ID_SECRET", SESSION_SECRET)
    fake_credentials(monkeypatch)
    monkeypatch.setenv("AGENT_RUNTIME_ARN", STEP4_ARN)
    lambda_proxy.reset_client()
    yield
    lambda_proxy.reset_client()


@pytest.fixture
def stubber(lambda_env: None) -> Iterator[Stubber]:
    """The container's real runtime client (built by the module, with its Config and hooks), stubbed: an
    unexpected call fails the request, and every expected one must have been made."""
    with Stubber(lambda_proxy.runtime_client()) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture(scope="session")
def aws(moto_server: EmbeddedAws) -> EmbeddedAws:
    """The suite's moto server (tests/conftest.py)."""
    return moto_server


@pytest.fixture(scope="session")
def sinks(aws: EmbeddedAws) -> Resources:
    """Sinks for the session's step 4 server, created once."""
    return create_sinks(aws)


@pytest.fixture(scope="session")
def data_plane(aws: EmbeddedAws, sinks: Resources) -> Iterator[AgentCoreLocal]:
    """The local data plane serving step 4 and the test agent; sessions fork from a pre-imported runtime.

    Every request without X-Session-Id opens a session (as on the service), so the fuzz test opens
    hundreds: fork start mode keeps each cold start to tens of milliseconds, and a short idle timeout
    reaps them as they go idle.
    """
    with AgentCoreLocal([step4_runtime(aws, sinks), agent_app_runtime()], **LOCAL_SETTINGS) as plane:
        yield plane
