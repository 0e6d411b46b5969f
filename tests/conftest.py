"""Fixtures shared by the whole suite: an embedded AWS over HTTP (one per session, or one per module that
its tests may stop), unique resources, the AWS_LAMBDA_* variables put back."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from commands.worlds import Resources, create_sinks
from local_cloud.aws import EmbeddedAws
from shared import aws
from tests.helpers import LAMBDA_VARIABLES


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with a slow test first, each module's order kept: the longest runs start while the other
    worker still has short tests to take, instead of one of them ending the run alone."""
    slow_modules = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_modules)


@pytest.fixture(autouse=True)
def _isolated_aws_environment(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """No test sees the developer's AWS profile, credentials or endpoints; clients start fresh."""
    if request.node.get_closest_marker("aws"):
        # Opt-in tests against a real account keep the developer's credentials.
        if os.environ.get("RUN_AWS_TESTS") != "1":
            pytest.skip("needs a real AWS account; opt in with RUN_AWS_TESTS=1")
        aws.reset_clients()
        yield
        return
    for name in list(os.environ):
        if name.startswith("AWS_") or name in ("SQS_QUEUE_URL", "S3_BUCKET_NAME", "DYNAMODB_TABLE_NAME"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    aws.reset_clients()
    yield
    aws.reset_clients()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[EmbeddedAws]:
    """One moto server for the session, on a loopback ephemeral port."""
    with EmbeddedAws(region="us-east-1") as server:
        yield server


@pytest.fixture(scope="module")
def module_aws() -> Iterator[EmbeddedAws]:
    """One embedded AWS (moto's server on a loopback port) per test module, which its tests may stop."""
    with EmbeddedAws(region="us-east-1") as emulator:
        yield emulator


@pytest.fixture
def aws_env(moto_server: EmbeddedAws, monkeypatch: pytest.MonkeyPatch) -> EmbeddedAws:
    """Point this process's boto3 at the embedded AWS through the standard variables."""
    for name, value in moto_server.env().items():
        monkeypatch.setenv(name, value)
    return moto_server


@pytest.fixture
def resources(aws_env: EmbeddedAws, monkeypatch: pytest.MonkeyPatch) -> Resources:
    """Fresh, uniquely named sinks, with the step settings pointing at them."""
    res = create_sinks(aws_env, f"t{uuid.uuid4().hex[:10]}")
    for name, value in res.env().items():
        monkeypatch.setenv(name, value)
    return res


@pytest.fixture
def lambda_env_restored() -> Iterator[None]:
    """Remove the AWS_LAMBDA_* variables the Lambda adapter exported during the test."""
    before = {name: os.environ.get(name) for name in LAMBDA_VARIABLES}
    yield
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
