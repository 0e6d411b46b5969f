"""Step 0 over HTTP (TestClient, real app) with the real Strands Agent loop and a scripted model."""

from __future__ import annotations

import threading
import time

import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from strands.types.exceptions import ContextWindowOverflowException, ModelThrottledException

from tests.steps.step0.helpers import TEST_MODEL_ID, TEST_REGION, Fail, Hold, sse_events


def client_error(code: str, message: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "ConverseStream",
    )


def throttled() -> ModelThrottledException:
    # As strands raises it: from the ClientError botocore gave up on.
    try:
        raise client_error("ThrottlingException", "Too many requests, please wait", 429)
    except ClientError as exc:
        try:
            raise ModelThrottledException(str(exc)) from exc
        except ModelThrottledException as wrapped:
            return wrapped


def test_prompt_returns_the_answer_as_plain_text(client, script):
    model = script(["Hel", "lo ", "world"])
    resp = client.post("/invocations", json={"prompt": "Say hello"})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json() == {"result": "Hello world"}
    (request,) = model.requests
    assert request["messages"][-1]["role"] == "user"
    assert request["messages"][-1]["content"] == [{"text": "Say hello"}]
    assert request["system_prompt"]


def test_stream_sends_deltas_then_the_whole_answer(client, script):
    script(["Once", " upon", " a time"])
    resp = client.post("/invocations", json={"prompt": "Tell a story", "stream": True})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/event-stream")
    events = sse_events(resp.text)
    assert events[:-1] == [{"data": "Once"}, {"data": " upon"}, {"data": " a time"}]
    assert events[-1] == {"result": "Once upon a time"}


def test_stream_false_is_a_plain_answer(client, script):
    script(["ok"])
    resp = client.post("/invocations", json={"prompt": "hi", "stream": False})
    assert resp.status_code == 200
    assert resp.json() == {"result": "ok"}


def test_the_conversation_continues_within_the_process(client, script):
    model = script(["Hi Ann"], ["Your name is Ann"])
    assert client.post("/invocations", json={"prompt": "I am Ann"}).json() == {"result": "Hi Ann"}
    assert client.post("/invocations", json={"prompt": "Who am I?"}).json() == {"result": "Your name is Ann"}
    second = model.requests[1]["messages"]
    assert [(m["role"], m["content"][0]["text"]) for m in second] == [
        ("user", "I am Ann"),
        ("assistant", "Hi Ann"),
        ("user", "Who am I?"),
    ]


def test_agent_and_model_are_built_once_per_process(client, step0, monkeypatch):
    built = []
    from tests.steps.step0.helpers import ScriptedModel

    def build(settings):
        built.append(settings)
        return ScriptedModel(["one"], ["two"])

    monkeypatch.setattr(step0, "build_model", build)
    step0.reset_agent()
    assert client.post("/invocations", json={"prompt": "a"}).json() == {"result": "one"}
    first_agent = step0.get_agent()[0]
    assert client.post("/invocations", json={"prompt": "b"}).json() == {"result": "two"}
    assert step0.get_agent()[0] is first_agent
    assert len(built) == 1
    assert built[0].model_id == TEST_MODEL_ID
    assert built[0].region == TEST_REGION


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "prompt"),
        ({"input": "hi"}, "prompt"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "   \n\t "}, "prompt"),
        ({"prompt": None}, "prompt"),
        ({"prompt": 42}, "prompt"),
        ({"prompt": True}, "prompt"),
        ({"prompt": ["hi"]}, "prompt"),
        ({"prompt": {"a": 1, "b": 2}}, "prompt"),
        ({"prompt": "x" * 11}, "prompt"),
        ({"prompt": "hi", "stream": "yes"}, "stream"),
        ({"prompt": "hi", "stream": 1}, "stream"),
        (["hi"], "$"),
        ("hi", "$"),
    ],
)
def test_bad_input_is_400_and_never_reaches_the_model(client, script, monkeypatch, payload, field):
    monkeypatch.setenv("MAX_PROMPT_CHARS", "10")
    model = script()
    resp = client.post("/invocations", json=payload)
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["code"] == "InvalidInput"
    assert error["field"] == field
    assert error["message"]
    assert model.requests == []


def test_prompt_at_the_size_limit_is_accepted(client, script, monkeypatch):
    monkeypatch.setenv("MAX_PROMPT_CHARS", "10")
    model = script(["fine"])
    resp = client.post("/invocations", json={"prompt": "x" * 10})
    assert resp.status_code == 200
    assert resp.json() == {"result": "fine"}
    assert model.requests[0]["messages"][-1]["content"] == [{"text": "x" * 10}]


def test_the_size_limit_message_names_the_limit(client, script, monkeypatch):
    monkeypatch.setenv("MAX_PROMPT_CHARS", "10")
    script()
    error = client.post("/invocations", json={"prompt": "y" * 25}).json()["error"]
    assert "25" in error["message"] and "10" in error["message"] and "MAX_PROMPT_CHARS" in error["message"]


def test_non_json_body_is_400_with_the_envelope(client, script):
    model = script()
    resp = client.post("/invocations", content=b"prompt=hi", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "InvalidInput"
    assert model.requests == []


MODEL_FAILURES = [
    pytest.param(NoCredentialsError(), 500, "ModelCredentialsMissing", "aws configure", id="no-credentials"),
    pytest.param(
        client_error("AccessDeniedException", "User is not authorized to perform bedrock:InvokeModel", 403),
        502,
        "ModelAccessDenied",
        "bedrock:InvokeModelWithResponseStream",
        id="access-denied",
    ),
    pytest.param(
        client_error("ValidationException", "The provided model identifier is invalid."),
        502,
        "ModelNotFound",
        "MODEL_ID",
        id="unknown-model-id",
    ),
    pytest.param(
        client_error("ResourceNotFoundException", "This model version has reached the end of its life.", 404),
        502,
        "ModelNotFound",
        "end of life",
        id="end-of-life-model",
    ),
    pytest.param(
        client_error(
            "ValidationException",
            "Invocation of model ID amazon.nova-2-lite-v1:0 with on-demand throughput isn't supported.",
        ),
        502,
        "ModelNotFound",
        "inference profile",
        id="needs-inference-profile",
    ),
    pytest.param(
        client_error(
            "UnrecognizedClientException", "The security token included in the request is invalid", 403
        ),
        502,
        "ModelCredentialsInvalid",
        "refresh",
        id="bad-credentials",
    ),
    pytest.param(throttled(), 429, "ModelThrottled", "retry later", id="throttled"),
    pytest.param(
        ReadTimeoutError(endpoint_url="https://bedrock-runtime.eu-west-1.amazonaws.com"),
        504,
        "ModelTimeout",
        "MODEL_READ_TIMEOUT_SECONDS",
        id="read-timeout",
    ),
    pytest.param(
        EndpointConnectionError(endpoint_url="https://bedrock-runtime.eu-west-1.amazonaws.com"),
        502,
        "ModelUnavailable",
        TEST_REGION,
        id="no-connection",
    ),
    pytest.param(
        client_error("InternalServerException", "internal", 500),
        502,
        "ModelUnavailable",
        "retry",
        id="bedrock-500",
    ),
    pytest.param(
        client_error("ValidationException", "A conversation must alternate between user and assistant roles"),
        502,
        "ModelRequestRejected",
        "ValidationException",
        id="other-validation",
    ),
    pytest.param(
        RuntimeError("secret internals at /opt/app/agent.py line 3"), 500, "InternalError", "logs", id="bug"
    ),
]


def _failed_turns(exc):
    # Throttling is retried once by the agent (RETRY_ATTEMPTS = 2): script it twice.
    return [exc, exc] if isinstance(exc, ModelThrottledException) else [exc]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize(("exc", "status", "code", "advice"), MODEL_FAILURES)
def test_model_failures_map_to_clear_errors(client, script, exc, status, code, advice, stream):
    model = script(*_failed_turns(exc))
    resp = client.post("/invocations", json={"prompt": "hello", "stream": stream})
    # Failures before any text keep their status code even when streaming was asked for.
    assert resp.status_code == status
    assert resp.headers["content-type"].startswith("application/json")
    error = resp.json()["error"]
    assert error["code"] == code
    assert advice in error["message"]
    assert error["request_id"]
    assert "Traceback" not in resp.text and "secret internals" not in resp.text
    assert model.turns == []


def test_model_errors_carry_model_id_and_region(client, script):
    script(client_error("AccessDeniedException", "denied", 403))
    error = client.post("/invocations", json={"prompt": "hello"}).json()["error"]
    assert error["model_id"] == TEST_MODEL_ID
    assert error["region"] == TEST_REGION
    assert error["aws_code"] == "AccessDeniedException"
    assert TEST_MODEL_ID in error["message"] and TEST_REGION in error["message"]


def test_a_throttle_that_clears_is_retried_and_answered(client, script):
    model = script(throttled(), ["after the retry"])
    started = time.monotonic()
    resp = client.post("/invocations", json={"prompt": "hello"})
    assert resp.status_code == 200
    assert resp.json() == {"result": "after the retry"}
    assert len(model.requests) == 2
    assert time.monotonic() - started < 10


def test_context_window_overflow_is_a_400_on_the_prompt(client, script):
    overflow = ContextWindowOverflowException("Input is too long for requested model")
    script(overflow, overflow, overflow)
    resp = client.post("/invocations", json={"prompt": "a very long prompt"})
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["code"] == "InvalidInput"
    assert error["field"] == "prompt"


def test_failure_mid_stream_ends_with_an_error_event(client, script):
    script(Fail(client_error("modelStreamErrorException", "stream broke", 424), after=["Partial", " answ"]))
    resp = client.post("/invocations", json={"prompt": "hello", "stream": True})
    assert resp.status_code == 200
    events = sse_events(resp.text)
    assert events[:2] == [{"data": "Partial"}, {"data": " answ"}]
    assert events[-1]["error"]["code"] == "ModelUnavailable"
    assert events[-1]["error"]["request_id"]
    assert not any("result" in event for event in events)
    assert "Traceback" not in resp.text


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_failed_turn_leaves_no_dangling_prompt(client, script, stream):
    model = script(["first answer"], client_error("InternalServerException", "boom", 500), ["third answer"])
    assert client.post("/invocations", json={"prompt": "one"}).status_code == 200
    assert client.post("/invocations", json={"prompt": "two", "stream": stream}).status_code == 502
    resp = client.post("/invocations", json={"prompt": "three"})
    assert resp.json() == {"result": "third answer"}
    roles = [(m["role"], m["content"][0]["text"]) for m in model.requests[-1]["messages"]]
    assert roles == [("user", "one"), ("assistant", "first answer"), ("user", "three")]


def test_a_second_prompt_while_the_first_runs_is_409_agent_busy(client, script):
    hold = Hold(["slow answer"])
    model = script(hold)
    results = {}

    def first():
        results["first"] = client.post("/invocations", json={"prompt": "slow"})

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert hold.entered.wait(10)
        busy = client.post("/invocations", json={"prompt": "meanwhile"})
    finally:
        hold.release.set()
        thread.join(15)
    assert busy.status_code == 409
    assert busy.json()["error"]["code"] == "AgentBusy"
    assert results["first"].status_code == 200
    assert results["first"].json() == {"result": "slow answer"}
    # The refused prompt did not enter the conversation.
    assert [m["content"][0]["text"] for m in model.requests[0]["messages"]] == ["slow"]
    model.turns.append(["next"])
    client.post("/invocations", json={"prompt": "after"})
    texts = [m["content"][0]["text"] for m in model.requests[-1]["messages"]]
    assert texts == ["slow", "slow answer", "after"]


def test_missing_region_is_a_configuration_error(client, step0, monkeypatch):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    step0.reset_agent()
    resp = client.post("/invocations", json={"prompt": "hello"})
    assert resp.status_code == 500
    error = resp.json()["error"]
    assert error["code"] == "ConfigurationError"
    assert error["variable"] == "AWS_REGION"


def test_ping_is_healthy(client, step0):
    resp = client.get("/ping")
    assert resp.status_code == 200
    assert resp.json()["status"] == "Healthy"
