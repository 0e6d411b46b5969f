"""Writers against moto's server over HTTP: what lands, idempotent replays, translated errors."""

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from harness.faults import inject_aws_error
from local_cloud.aws import EmbeddedAws
from commands.worlds import Resources
from shared import aws
from shared.core.errors import SinkThrottled, SinkWriteFailed
from shared.core.records import SumRecord
from shared.sinks.writers import DynamoDbWriter, S3Writer, SqsWriter

WHEN = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)


def record(request_id: str = "req-1", a: object = 5, b: object = 3, result: object = 8) -> SumRecord:
    return SumRecord(a=a, b=b, result=result, request_id=request_id, session_id="sess-1", timestamp=WHEN)  # type: ignore[arg-type]


def test_sqs_message_body(resources: Resources, aws_env: EmbeddedAws) -> None:
    message_id = SqsWriter(aws.client("sqs"), resources.queue_url).send(record())
    got = aws_env.client("sqs").receive_message(QueueUrl=resources.queue_url, WaitTimeSeconds=1)["Messages"]
    assert [m["MessageId"] for m in got] == [message_id]
    assert json.loads(got[0]["Body"]) == {
        "operation": "sum",
        "input": {"a": 5, "b": 3},
        "result": 8,
        "timestamp": "2026-01-02T03:04:05.678Z",
        "source": "agentcore",
        "request_id": "req-1",
        "session_id": "sess-1",
    }


def test_sqs_fifo_replay_is_deduplicated(resources: Resources, aws_env: EmbeddedAws) -> None:
    writer = SqsWriter(aws.client("sqs"), resources.fifo_queue_url)
    writer.send(record("same"))
    writer.send(record("same"))
    writer.send(record("other"))
    got = aws_env.client("sqs").receive_message(QueueUrl=resources.fifo_queue_url, MaxNumberOfMessages=10)
    ids = sorted(json.loads(m["Body"])["request_id"] for m in got["Messages"])
    assert ids == ["other", "same"]


def test_s3_object_bytes_and_key(resources: Resources, aws_env: EmbeddedAws) -> None:
    key = S3Writer(aws.client("s3"), resources.bucket, "agentcore-results").put(
        record(a=Decimal("0.1"), b=Decimal("0.2"), result=Decimal("0.3"))
    )
    assert key == "agentcore-results/2026/01/02/req-1.json"
    obj = aws_env.client("s3").get_object(Bucket=resources.bucket, Key=key)
    assert obj["ContentType"] == "application/json"
    assert obj["Body"].read() == (
        b'{"operation":"sum","input":{"a":0.1,"b":0.2},"result":0.3,"timestamp":"2026-01-02T03:04:05.678Z",'
        b'"source":"agentcore","request_id":"req-1","session_id":"sess-1"}'
    )


def test_s3_replay_keeps_the_first_object(resources: Resources, aws_env: EmbeddedAws) -> None:
    writer = S3Writer(aws.client("s3"), resources.bucket, "p")
    first = writer.put(record("r", a=1, b=1, result=2))
    second = writer.put(record("r", a=1, b=1, result=2))
    assert first == second
    listing = aws_env.client("s3").list_objects_v2(Bucket=resources.bucket)["Contents"]
    assert [o["Key"] for o in listing] == [first]


def test_dynamodb_item_exact_numbers_and_ttl(resources: Resources, aws_env: EmbeddedAws) -> None:
    item = DynamoDbWriter(aws.client("dynamodb"), resources.table_name, 7).put(
        record(a=Decimal("0.1"), b=Decimal("0.2"), result=Decimal("0.3"))
    )
    stored = aws_env.client("dynamodb").get_item(TableName=resources.table_name, Key={"id": {"S": "req-1"}})[
        "Item"
    ]
    assert stored == {
        "id": {"S": "req-1"},
        "timestamp": {"S": "2026-01-02T03:04:05.678Z"},
        "operation": {"S": "sum"},
        "input_a": {"N": "0.1"},
        "input_b": {"N": "0.2"},
        "result": {"N": "0.3"},
        "source": {"S": "agentcore"},
        "request_id": {"S": "req-1"},
        "session_id": {"S": "sess-1"},
        "ttl": {"N": str(int(WHEN.timestamp()) + 7 * 86400)},
    }
    assert item["id"] == "req-1"


def test_dynamodb_replay_returns_the_first_item(resources: Resources, aws_env: EmbeddedAws) -> None:
    writer = DynamoDbWriter(aws.client("dynamodb"), resources.table_name, 30)
    first = writer.put(record("r"))
    later = SumRecord(
        a=5, b=3, result=8, request_id="r", session_id=None, timestamp=datetime.now(timezone.utc)
    )
    again = writer.put(later)
    assert again["timestamp"] == first["timestamp"]
    assert aws_env.client("dynamodb").scan(TableName=resources.table_name)["Count"] == 1


@pytest.mark.parametrize(
    ("make_writer", "call"),
    [
        (lambda r: SqsWriter(aws.client("sqs"), r.queue_url + "-gone"), "send"),
        (lambda r: S3Writer(aws.client("s3"), r.bucket + "-gone", "p"), "put"),
        (lambda r: DynamoDbWriter(aws.client("dynamodb"), r.table_name + "-gone", 30), "put"),
    ],
    ids=["sqs", "s3", "dynamodb"],
)
def test_missing_resource_is_a_write_failure_naming_it(resources: Resources, make_writer, call) -> None:
    writer = make_writer(resources)
    with pytest.raises(SinkWriteFailed) as caught:
        getattr(writer, call)(record())
    assert "-gone" in caught.value.details["resource"]
    assert caught.value.details["aws_error_code"] in {
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "NoSuchBucket",
        "ResourceNotFoundException",
    }


@pytest.mark.parametrize(
    ("service", "operation", "make_writer", "call"),
    [
        ("sqs", "SendMessage", lambda c, r: SqsWriter(c, r.queue_url), "send"),
        ("s3", "PutObject", lambda c, r: S3Writer(c, r.bucket, "p"), "put"),
        ("dynamodb", "PutItem", lambda c, r: DynamoDbWriter(c, r.table_name, 30), "put"),
    ],
    ids=["sqs", "s3", "dynamodb"],
)
def test_access_denied_and_throttling_are_translated(
    resources: Resources, service, operation, make_writer, call
) -> None:
    denied_client = aws.client(service)
    inject_aws_error(denied_client, operation, 403, "AccessDenied")
    with pytest.raises(SinkWriteFailed) as caught:
        getattr(make_writer(denied_client, resources), call)(record())
    assert caught.value.details["aws_error_code"] == "AccessDenied"
    assert isinstance(caught.value.__cause__, Exception)

    aws.reset_clients()
    throttled_client = aws.client(service)
    code = (
        "ProvisionedThroughputExceededException"
        if service == "dynamodb"
        else ("SlowDown" if service == "s3" else "ThrottlingException")
    )
    attempts = inject_aws_error(throttled_client, operation, 503 if service == "s3" else 400, code)
    with pytest.raises(SinkThrottled) as caught_throttle:
        getattr(make_writer(throttled_client, resources), call)(record())
    assert caught_throttle.value.status == 503
    assert attempts.attempts == 3, "botocore's standard mode retries throttling before we give up"


def test_unreachable_endpoint_is_a_write_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    with pytest.raises(SinkWriteFailed) as caught:
        SqsWriter(aws.client("sqs"), "http://127.0.0.1:9/000000000000/q").send(record())
    assert caught.value.details["aws_error_code"] == "EndpointConnectionError"
