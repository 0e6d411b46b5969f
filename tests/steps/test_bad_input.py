"""The bad-input corpus: every step answers 400 with the envelope naming the field, and writes nothing."""

import pytest

from commands.worlds import Resources
from harness.records import landed
from local_cloud.aws import EmbeddedAws
from tests.helpers import ALL_STEPS, step_client

# (raw body, field named in the error)
CORPUS: list[tuple[bytes, str]] = [
    (b"", "$"),
    (b"not json", "$"),
    (b"{", "$"),
    (b'{"prompt": {"a": 1, "b": 2}', "$"),
    (b"\xff\xfe{}", "$"),
    (b'{"prompt": {"a": 1, "b": 2}} trailing', "$"),
    (b"null", "$"),
    (b"[]", "$"),
    (b"42", "$"),
    (b'"prompt"', "$"),
    (b"{}", "prompt"),
    (b'{"Prompt": {"a": 1, "b": 2}}', "prompt"),
    (b'{"prompt": null}', "prompt"),
    (b'{"prompt": "1 + 2"}', "prompt"),
    (b'{"prompt": 3}', "prompt"),
    (b'{"prompt": [1, 2]}', "prompt"),
    (b'{"prompt": true}', "prompt"),
    (b'{"prompt": {}}', "prompt.a"),
    (b'{"prompt": {"b": 2}}', "prompt.a"),
    (b'{"prompt": {"a": 1}}', "prompt.b"),
    (b'{"prompt": {"A": 1, "B": 2}}', "prompt.a"),
    (b'{"prompt": {"a": "1", "b": 2}}', "prompt.a"),
    (b'{"prompt": {"a": 1, "b": "two"}}', "prompt.b"),
    (b'{"prompt": {"a": "", "b": 2}}', "prompt.a"),
    (b'{"prompt": {"a": true, "b": 2}}', "prompt.a"),
    (b'{"prompt": {"a": 1, "b": false}}', "prompt.b"),
    (b'{"prompt": {"a": null, "b": 2}}', "prompt.a"),
    (b'{"prompt": {"a": 1, "b": null}}', "prompt.b"),
    (b'{"prompt": {"a": [1], "b": 2}}', "prompt.a"),
    (b'{"prompt": {"a": {"value": 1}, "b": 2}}', "prompt.a"),
    (b'{"prompt": {"a": NaN, "b": 2}}', "prompt.a"),
    (b'{"prompt": {"a": 1, "b": Infinity}}', "prompt.b"),
    (b'{"prompt": {"a": -Infinity, "b": 2}}', "prompt.a"),
    (b'{"prompt": {"a": 1.00000000000000000000000000000000000001, "b": 2}}', "prompt.a"),
    (b'{"prompt": {"a": 123456789012345678901234567890123456789, "b": 2}}', "prompt.a"),
    (b'{"prompt": {"a": 1e126, "b": 2}}', "prompt.a"),
    (b'{"prompt": {"a": 1, "b": -1e200}}', "prompt.b"),
    (b'{"prompt": {"a": 1e-131, "b": 2}}', "prompt.a"),
    (b'{"prompt": {"a": 9.9999999999999999999999999999999999999e125, "b": 9.9999999999999999999999999999999999999e125}}', "prompt"),
    (b'{"prompt": {"a": 1e37, "b": 0.1}}', "prompt"),
    (b'{"prompt": {"a": 1' + b"0" * 5000 + b', "b": 2}}', "$"),
    (b'{"prompt": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "$"),
]  # fmt: skip


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) * len(ALL_STEPS) >= 40 and len(CORPUS) >= 40


@pytest.mark.parametrize("step", ALL_STEPS)
@pytest.mark.parametrize(("raw", "field"), CORPUS, ids=[f"case{i}" for i in range(len(CORPUS))])
def test_bad_input_is_400_with_the_field_and_writes_nothing(
    step: str, raw: bytes, field: str, resources: Resources, aws_env: EmbeddedAws
) -> None:
    response = step_client(step).post(
        "/invocations", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "InvalidInput"
    assert error["field"] == field
    assert "expected" in error and error["message"]
    assert "Traceback" not in response.text
    assert landed(aws_env, resources, step) == []


@pytest.mark.parametrize("step", ALL_STEPS)
def test_oversized_body_is_refused_before_parsing(step: str) -> None:
    raw = b'{"prompt": {"a": 1, "b": 2}, "pad": "' + b"x" * (1024 * 1024) + b'"}'
    response = step_client(step).post("/invocations", content=raw)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "InvalidInput"


@pytest.mark.parametrize("step", ALL_STEPS)
@pytest.mark.parametrize(
    ("raw", "where"),
    [
        (b'{"prompt": {"a": 1 "b": 2}}', "Expecting ',' delimiter at line 1, column 20"),
        (
            b'{\n  "prompt": {"a": 1, "b": 2},\n}',
            "Expecting property name enclosed in double quotes at line 3, column 1",
        ),
        (b"", "Expecting value at line 1, column 1"),
        (b"\xff\xfe\xfa", "it is not UTF-8 text"),
    ],
)
def test_invalid_json_names_line_and_column_and_carries_the_request_id(
    step: str, raw: bytes, where: str
) -> None:
    sent = "req-0123456789abcdef"
    plain = step_client(step).post("/invocations", content=raw)
    named = step_client(step).post(
        "/invocations", content=raw, headers={"X-Amzn-Bedrock-AgentCore-Runtime-Request-Id": sent}
    )
    for response in (plain, named):
        assert response.status_code == 400
        body = response.json()
        assert where in body["error"]["message"], body
        assert body["message"] == f"InvalidInput: {body['error']['message']}"
    # The runtime's request id when it sent one, else a fresh one: every answer can be found in the logs.
    assert named.json()["error"]["request_id"] == sent
    assert len(plain.json()["error"]["request_id"]) == 36
