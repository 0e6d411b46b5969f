"""Fixtures for step 0: the real app under TestClient, a scripted Strands model, a clean AWS environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.steps.step0.helpers import TEST_MODEL_ID, TEST_REGION, ScriptedModel, load_step0


@pytest.fixture
def step0_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials, a fixed region and model id, nothing from the developer's shell or ~/.aws."""
    for key in list(__import__("os").environ):
        if key.startswith("AWS_") or key in ("MODEL_ID", "MAX_PROMPT_CHARS", "MODEL_READ_TIMEOUT_SECONDS"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDSTEP0TEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "step0-test-secret")
    monkeypatch.setenv("AWS_REGION", TEST_REGION)
    monkeypatch.setenv("MODEL_ID", TEST_MODEL_ID)


@pytest.fixture
def step0(step0_env: None) -> Iterator[ModuleType]:
    """The step 0 module with a fresh agent before and after the test."""
    module = load_step0()
    module.reset_agent()
    yield module
    module.reset_agent()


@pytest.fixture
def client(step0: ModuleType) -> Iterator[TestClient]:
    with TestClient(step0.app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def script(step0: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Install a ScriptedModel as the agent's model: script(["Hel", "lo"], Fail(...), ...)."""

    def install(*turns: Any) -> ScriptedModel:
        model = ScriptedModel(*turns)
        monkeypatch.setattr(step0, "build_model", lambda settings: model)
        step0.reset_agent()
        return model

    return install
