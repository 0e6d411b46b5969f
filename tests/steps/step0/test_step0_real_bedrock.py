"""Opt-in: step 0 against the real Amazon Bedrock (RUN_AWS_TESTS=1, credentials, Bedrock access)."""

from __future__ import annotations

import os

import pytest
from starlette.testclient import TestClient

from tests.steps.step0.helpers import load_step0, sse_events

pytestmark = [
    pytest.mark.aws,
    pytest.mark.skipif(os.environ.get("RUN_AWS_TESTS") != "1", reason="needs AWS: set RUN_AWS_TESTS=1"),
]


@pytest.fixture
def real_client():
    step0 = load_step0()
    step0.reset_agent()
    with TestClient(step0.app, raise_server_exceptions=False) as client:
        yield client
    step0.reset_agent()


def test_the_real_model_answers(real_client):
    resp = real_client.post("/invocations", json={"prompt": "Reply with the single word: pong"})
    assert resp.status_code == 200, resp.text
    assert "pong" in resp.json()["result"].lower()


def test_the_real_model_streams(real_client):
    resp = real_client.post(
        "/invocations", json={"prompt": "Count from 1 to 5, digits only.", "stream": True}
    )
    assert resp.status_code == 200, resp.text
    events = sse_events(resp.text)
    deltas = "".join(e["data"] for e in events if "data" in e)
    assert events[-1] == {"result": deltas}
    assert all(digit in deltas for digit in "12345")
