"""The runtime contract of steps 1-4 through HTTP (TestClient over the real BedrockAgentCoreApp)."""

import json
import re
import time
import uuid
from decimal import Decimal

import pytest

from commands.worlds import Resources
from harness.records import landed
from local_cloud.aws import EmbeddedAws
from tests.helpers import ALL_STEPS, REQUEST_ID_HEADER, SESSION_HEADER, SINK_STEPS, step_client

SESSION = "session-" + "x" * 32


@pytest.mark.parametrize("step", ALL_STEPS)
def test_ping_is_healthy(step: str) -> None:
    response = step_client(step).get("/ping")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "Healthy"
    assert isinstance(body["time_of_last_update"], int)


def test_step1_answers_the_sum() -> None:
    client = step_client("1_compute_without_model")
    response = client.post("/invocations", json={"prompt": {"a": 1, "b": 2}})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"result": 3}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"prompt": {"a": 0.1, "b": 0.2}}', b'{"result":0.3}'),
        (b'{"prompt": {"a": 2, "b": 3}}', b'{"result":5}'),
        (b'{"prompt": {"a": 1.5, "b": -1.5}}', b'{"result":0.0}'),
        (b'{"prompt": {"a": 0.1234567890123456789012345678901234567, "b": 1}}', b'{"result":1.1234567890123456789012345678901234567}'),
    ],
)  # fmt: skip
def test_step1_arithmetic_is_exact_on_the_wire(raw: bytes, expected: bytes) -> None:
    response = step_client("1_compute_without_model").post("/invocations", content=raw)
    assert response.status_code == 200
    assert response.content == expected


@pytest.mark.parametrize("size", [1, 7, 64])
def test_a_body_sent_in_several_parts_is_read_whole(size: int) -> None:
    raw = b'{"prompt": {"a": 0.1, "b": 0.2}, "pad": "' + b"x" * 300 + b'"}'
    parts = iter([raw[i : i + size] for i in range(0, len(raw), size)])
    response = step_client("1_compute_without_model").post("/invocations", content=parts)
    assert response.status_code == 200
    assert response.content == b'{"result":0.3}'


def test_an_oversized_body_in_several_parts_is_refused() -> None:
    parts = iter([b'{"prompt": {"a": 1, "b": 2}, "pad": "'] + [b"x" * 65536] * 17 + [b'"}'])
    response = step_client("1_compute_without_model").post("/invocations", content=parts)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "InvalidInput"


def test_step1_makes_no_aws_call_even_without_any_aws_configuration() -> None:
    # The autouse fixture removed every AWS_* variable: a boto3 call would fail with NoRegion.
    response = step_client("1_compute_without_model").post("/invocations", json={"prompt": {"a": 4, "b": 5}})
    assert response.json() == {"result": 9}


def test_step2_response_and_message(resources: Resources, aws_env: EmbeddedAws) -> None:
    response = step_client("2_sqs_sink").post(
        "/invocations", json={"prompt": {"a": 5, "b": 3}}, headers={SESSION_HEADER: SESSION}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"result", "message_sent", "message_id", "request_id"}
    assert body["result"] == 8 and body["message_sent"] is True
    messages = aws_env.client("sqs").receive_message(QueueUrl=resources.queue_url, WaitTimeSeconds=1)[
        "Messages"
    ]
    assert [m["MessageId"] for m in messages] == [body["message_id"]]
    message = json.loads(messages[0]["Body"])
    assert message["operation"] == "sum" and message["source"] == "agentcore"
    assert message["input"] == {"a": 5, "b": 3} and message["result"] == 8
    assert message["request_id"] == body["request_id"] and message["session_id"] == SESSION
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", message["timestamp"])


def test_step2_fifo_queue_deduplicates_a_replayed_request(
    resources: Resources, aws_env: EmbeddedAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SQS_QUEUE_URL", resources.fifo_queue_url)
    client = step_client("2_sqs_sink")
    rid = str(uuid.uuid4())
    for _ in range(2):
        response = client.post(
            "/invocations", json={"prompt": {"a": 1, "b": 1}}, headers={REQUEST_ID_HEADER: rid}
        )
        assert response.status_code == 200
    bodies = landed(aws_env, resources, "2_sqs_sink")
    assert [json.loads(b)["request_id"] for b in bodies] == [rid]


def test_step3_response_and_object(resources: Resources, aws_env: EmbeddedAws) -> None:
    response = step_client("3_s3_sink").post(
        "/invocations", json={"prompt": {"a": 1, "b": 2}}, headers={SESSION_HEADER: SESSION}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"result", "s3_stored", "s3_key", "request_id"}
    today = time.strftime("%Y/%m/%d", time.gmtime())
    assert body["s3_key"] == f"agentcore-results/{today}/{body['request_id']}.json"
    obj = aws_env.client("s3").get_object(Bucket=resources.bucket, Key=body["s3_key"])
    assert obj["ContentType"] == "application/json"
    stored = json.loads(obj["Body"].read())
    assert (
        stored["result"] == 3
        and stored["request_id"] == body["request_id"]
        and stored["session_id"] == SESSION
    )


def test_step3_prefix_is_configurable(resources: Resources, aws_env: EmbeddedAws, monkeypatch) -> None:
    monkeypatch.setenv("S3_PREFIX", "experiments/sums")
    body = step_client("3_s3_sink").post("/invocations", json={"prompt": {"a": 1, "b": 2}}).json()
    assert body["s3_key"].startswith("experiments/sums/")
    assert landed(aws_env, resources, "3_s3_sink") == [body["s3_key"]]


def test_step4_response_and_item(resources: Resources, aws_env: EmbeddedAws, monkeypatch) -> None:
    monkeypatch.setenv("TTL_DAYS", "2")
    before = int(time.time())
    response = step_client("4_dynamodb_sink").post("/invocations", json={"prompt": {"a": 4, "b": 5}})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"result", "dynamodb_stored", "item_id", "timestamp"}
    assert body["result"] == 9 and body["dynamodb_stored"] is True and body["timestamp"].endswith("Z")
    item = aws_env.client("dynamodb").get_item(
        TableName=resources.table_name, Key={"id": {"S": body["item_id"]}}
    )["Item"]
    assert item["result"] == {"N": "9"} and item["input_a"] == {"N": "4"} and item["input_b"] == {"N": "5"}
    assert item["operation"] == {"S": "sum"} and item["source"] == {"S": "agentcore"}
    assert item["request_id"] == {"S": body["item_id"]} and item["timestamp"] == {"S": body["timestamp"]}
    assert before + 2 * 86400 <= int(item["ttl"]["N"]) <= int(time.time()) + 2 * 86400


def test_step4_stores_exact_decimals(resources: Resources, aws_env: EmbeddedAws) -> None:
    response = step_client("4_dynamodb_sink").post(
        "/invocations", content=b'{"prompt": {"a": 0.1, "b": 0.2}}'
    )
    assert response.content.startswith(b'{"result":0.3,')
    item = landed(aws_env, resources, "4_dynamodb_sink")[0]
    assert item["result"] == {"N": "0.3"}
    assert Decimal(item["input_a"]["N"]) + Decimal(item["input_b"]["N"]) == Decimal(item["result"]["N"])


def test_step4_waits_delay_seconds_before_writing(
    resources: Resources, aws_env: EmbeddedAws, monkeypatch
) -> None:
    monkeypatch.setenv("DELAY_SECONDS", "1")
    started = time.monotonic()
    response = step_client("4_dynamodb_sink").post("/invocations", json={"prompt": {"a": 1, "b": 1}})
    assert response.status_code == 200
    assert time.monotonic() - started >= 1.0
    assert len(landed(aws_env, resources, "4_dynamodb_sink")) == 1


@pytest.mark.parametrize("step", SINK_STEPS)
def test_replaying_a_request_id_never_adds_a_second_record(
    step: str, resources: Resources, aws_env: EmbeddedAws
) -> None:
    client = step_client(step)
    rid = str(uuid.uuid4())
    answers = [
        client.post("/invocations", json={"prompt": {"a": 2, "b": 2}}, headers={REQUEST_ID_HEADER: rid})
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200]
    if step == "2_sqs_sink":
        # A standard queue cannot deduplicate: each replay is a new message, all with the same request id
        # so consumers can deduplicate (the FIFO test above shows the queue doing it).
        assert {json.loads(b)["request_id"] for b in landed(aws_env, resources, step)} == {rid}
    else:
        assert len(landed(aws_env, resources, step)) == 1
        assert answers[0].json() == answers[2].json()
