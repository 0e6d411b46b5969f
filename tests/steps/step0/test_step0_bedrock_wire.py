"""Step 0 at the botocore level: the real BedrockModel sends ConverseStream for MODEL_ID to the region.

Two ways, both offline: botocore's Stubber on the agent's own client, and a loopback HTTP stand-in for
bedrock-runtime (tests/step0/fake_bedrock.py) that botocore signs for, calls and parses for real.
"""

from __future__ import annotations

import time
import urllib.parse

import pytest
from botocore.stub import Stubber

from tests.steps.step0.fake_bedrock import FakeBedrock, Reply
from tests.steps.step0.helpers import TEST_MODEL_ID, TEST_REGION, sse_events


def test_the_model_client_targets_the_configured_region_and_model(client, step0):
    agent, settings = step0.get_agent()
    bedrock = agent.model.client
    assert settings.model_id == TEST_MODEL_ID
    assert agent.model.config["model_id"] == TEST_MODEL_ID
    assert bedrock.meta.service_model.service_name == "bedrock-runtime"
    assert bedrock.meta.region_name == TEST_REGION
    assert bedrock.meta.endpoint_url == f"https://bedrock-runtime.{TEST_REGION}.amazonaws.com"
    assert bedrock.meta.config.read_timeout == settings.read_timeout
    assert bedrock.meta.config.retries["mode"] == "standard"

    sent = []
    bedrock.meta.events.register(
        "before-parameter-build.bedrock-runtime.ConverseStream", lambda params, **_: sent.append(dict(params))
    )
    with Stubber(bedrock) as stubber:
        stubber.add_client_error(
            "converse_stream",
            service_error_code="ValidationException",
            service_message="The provided model identifier is invalid.",
            http_status_code=400,
        )
        resp = client.post("/invocations", json={"prompt": "Which model are you?"})
        stubber.assert_no_pending_responses()
    assert resp.status_code == 502
    assert resp.json()["error"]["code"] == "ModelNotFound"
    (params,) = sent
    assert params["modelId"] == TEST_MODEL_ID
    assert params["messages"][-1]["content"] == [{"text": "Which model are you?"}]


def test_model_id_is_read_from_the_environment(client, step0, monkeypatch):
    monkeypatch.setenv("MODEL_ID", "us.amazon.nova-2-lite-v1:0")
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    step0.reset_agent()
    agent, _ = step0.get_agent()
    assert agent.model.config["model_id"] == "us.amazon.nova-2-lite-v1:0"
    assert agent.model.client.meta.region_name == "us-west-2"


def test_without_model_id_the_documented_default_is_used(step0, monkeypatch):
    monkeypatch.delenv("MODEL_ID")
    from shared.model.bedrock import DEFAULT_MODEL_ID

    agent, settings = step0.get_agent()
    assert settings.model_id == DEFAULT_MODEL_ID == "global.amazon.nova-2-lite-v1:0"
    assert agent.model.config["model_id"] == DEFAULT_MODEL_ID


@pytest.fixture
def fake_bedrock(monkeypatch):
    with FakeBedrock() as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", fake.url)
        # One botocore attempt per Strands attempt keeps the failure tests quick.
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
        yield fake


def test_over_http_the_call_is_signed_for_the_region_and_names_the_model(client, step0, fake_bedrock):
    fake_bedrock.replies.append(Reply(pieces=["Hello", " from", " Bedrock"]))
    resp = client.post("/invocations", json={"prompt": "Say hello"})
    assert resp.status_code == 200
    assert resp.json() == {"result": "Hello from Bedrock"}
    (seen,) = fake_bedrock.seen
    assert seen.path == f"/model/{urllib.parse.quote(TEST_MODEL_ID, safe='')}/converse-stream"
    assert seen.model_id == TEST_MODEL_ID
    assert seen.signed_region == TEST_REGION
    assert seen.signed_service == "bedrock"
    assert seen.body["messages"][-1] == {"role": "user", "content": [{"text": "Say hello"}]}
    assert seen.body["system"] == [{"text": step0.SYSTEM_PROMPT}]


def test_over_http_streaming_relays_bedrock_deltas(client, fake_bedrock):
    fake_bedrock.replies.append(Reply(pieces=["Stream", "ed ", "text"]))
    resp = client.post("/invocations", json={"prompt": "Stream please", "stream": True})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/event-stream")
    events = sse_events(resp.text)
    assert events == [{"data": "Stream"}, {"data": "ed "}, {"data": "text"}, {"result": "Streamed text"}]


@pytest.mark.parametrize(
    ("aws_code", "aws_status", "aws_message", "status", "code"),
    [
        ("AccessDeniedException", 403, "You don't have access to the model with the specified model ID.", 502,
         "ModelAccessDenied"),
        ("ValidationException", 400, "The provided model identifier is invalid.", 502, "ModelNotFound"),
        ("ResourceNotFoundException", 404, "This model version has reached the end of its life.", 502,
         "ModelNotFound"),
        ("ExpiredTokenException", 403, "The security token included in the request is expired", 502,
         "ModelCredentialsInvalid"),
        ("ThrottlingException", 429, "Too many requests, please wait.", 429, "ModelThrottled"),
        ("InternalServerException", 500, "Internal error", 502, "ModelUnavailable"),
    ],
)  # fmt: skip
def test_over_http_bedrock_errors_map_to_clear_errors(
    client, fake_bedrock, aws_code, aws_status, aws_message, status, code
):
    for _ in range(3):
        fake_bedrock.replies.append(Reply(error_code=aws_code, error_message=aws_message, status=aws_status))
    resp = client.post("/invocations", json={"prompt": "hello"})
    assert resp.status_code == status
    error = resp.json()["error"]
    assert error["code"] == code
    assert error["aws_code"] == aws_code
    assert error["model_id"] == TEST_MODEL_ID
    assert "Traceback" not in resp.text
    # Throttling is retried by the agent; nothing else is.
    assert len(fake_bedrock.seen) == (2 if aws_code == "ThrottlingException" else 1)


def test_over_http_a_silent_bedrock_is_a_504_after_the_read_timeout(client, fake_bedrock, monkeypatch):
    monkeypatch.setenv("MODEL_READ_TIMEOUT_SECONDS", "1")
    # Bedrock silent for 8 s: the answer comes after the 1 s read timeout, long before the reply would
    # (the margin is for a loaded 2-core machine).
    fake_bedrock.replies.append(Reply(delay=8))
    started = time.monotonic()
    resp = client.post("/invocations", json={"prompt": "hello"})
    elapsed = time.monotonic() - started
    assert resp.status_code == 504
    assert resp.json()["error"]["code"] == "ModelTimeout"
    assert elapsed < 6


def test_over_http_without_credentials_is_a_500_naming_the_fix(client, fake_bedrock, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    resp = client.post("/invocations", json={"prompt": "hello"})
    assert resp.status_code == 500
    error = resp.json()["error"]
    assert error["code"] == "ModelCredentialsMissing"
    assert "credentials" in error["message"]
    assert fake_bedrock.seen == []
