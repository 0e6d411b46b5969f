"""Faults through HTTP: a failed or throttled write is an error envelope, never a success."""

import pytest

from commands.steps import SINKS
from commands.worlds import Resources
from harness.faults import inject_aws_error
from harness.records import landed
from local_cloud.aws import EmbeddedAws
from shared import aws
from tests.helpers import SINK_STEPS, step_client

SERVICE = SINKS
OPERATION = {"2_sqs_sink": "SendMessage", "3_s3_sink": "PutObject", "4_dynamodb_sink": "PutItem"}
SUCCESS_FLAGS = ("message_sent", "s3_stored", "dynamodb_stored")
SEED = {"prompt": {"a": 5, "b": 3}}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message"}, "an error response carries no result and no success flag"
    # What botocore and the starter toolkit show: the code and message, at the top level too.
    assert body["message"] == f"{body['error']['code']}: {body['error']['message']}"
    assert not any(flag in response.text for flag in SUCCESS_FLAGS)
    assert body["error"]["code"] == code
    assert "Traceback" not in response.text and "botocore" not in response.text
    return body["error"]


def delete_sink(aws_env: EmbeddedAws, res: Resources, step: str) -> str:
    if step == "2_sqs_sink":
        aws_env.client("sqs").delete_queue(QueueUrl=res.queue_url)
        return res.queue_url
    if step == "3_s3_sink":
        aws_env.client("s3").delete_bucket(Bucket=res.bucket)
        return res.bucket
    aws_env.client("dynamodb").delete_table(TableName=res.table_name)
    return res.table_name


@pytest.mark.parametrize("step", SINK_STEPS)
def test_deleted_resource_is_502_naming_it(step: str, resources: Resources, aws_env: EmbeddedAws) -> None:
    name = delete_sink(aws_env, resources, step)
    error = assert_error(step_client(step).post("/invocations", json=SEED), 502, "SinkWriteFailed")
    assert error["resource"] == name
    assert error["aws_error_code"]
    assert error["request_id"]


@pytest.mark.parametrize("step", SINK_STEPS)
def test_access_denied_is_502_and_nothing_lands(
    step: str, resources: Resources, aws_env: EmbeddedAws
) -> None:
    inject_aws_error(aws.client(SERVICE[step]), OPERATION[step], 403, "AccessDenied")
    error = assert_error(step_client(step).post("/invocations", json=SEED), 502, "SinkWriteFailed")
    assert error["aws_error_code"] == "AccessDenied"
    assert landed(aws_env, resources, step) == []


@pytest.mark.parametrize("step", SINK_STEPS)
def test_throttling_after_retries_is_503(step: str, resources: Resources, aws_env: EmbeddedAws) -> None:
    code = {
        "2_sqs_sink": "ThrottlingException",
        "3_s3_sink": "SlowDown",
        "4_dynamodb_sink": "ThrottlingException",
    }
    attempts = inject_aws_error(
        aws.client(SERVICE[step]), OPERATION[step], 503 if step == "3_s3_sink" else 400, code[step]
    )
    error = assert_error(step_client(step).post("/invocations", json=SEED), 503, "SinkThrottled")
    assert error["aws_error_code"] == code[step]
    assert attempts.attempts == 3
    assert landed(aws_env, resources, step) == []


@pytest.mark.parametrize(
    ("step", "variable"),
    [
        ("2_sqs_sink", "SQS_QUEUE_URL"),
        ("3_s3_sink", "S3_BUCKET_NAME"),
        ("4_dynamodb_sink", "DYNAMODB_TABLE_NAME"),
    ],
)
def test_missing_setting_is_500_naming_it_and_ping_stays_healthy(
    step: str, variable: str, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(variable)
    client = step_client(step)
    error = assert_error(client.post("/invocations", json=SEED), 500, "ConfigurationError")
    assert error["variable"] == variable and variable in error["message"]
    ping = client.get("/ping")
    assert ping.status_code == 200 and ping.json()["status"] == "Healthy"


@pytest.mark.parametrize("variable", ["TTL_DAYS", "DELAY_SECONDS"])
def test_malformed_integer_setting_is_500_naming_it(
    variable: str, resources: Resources, aws_env, monkeypatch
) -> None:
    monkeypatch.setenv(variable, "soon")
    error = assert_error(
        step_client("4_dynamodb_sink").post("/invocations", json=SEED), 500, "ConfigurationError"
    )
    assert error["variable"] == variable
    assert landed(aws_env, resources, "4_dynamodb_sink") == []


# Every client needs the region, S3's too: botocore would fall back to S3's global endpoint without one.
@pytest.mark.parametrize("step", ["2_sqs_sink", "3_s3_sink", "4_dynamodb_sink"])
def test_missing_region_is_a_configuration_error(step: str, resources: Resources, monkeypatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    error = assert_error(step_client(step).post("/invocations", json=SEED), 500, "ConfigurationError")
    assert error["variable"] == "AWS_REGION"


def test_unexpected_errors_are_500_without_internals(resources: Resources, monkeypatch) -> None:
    def boom(*_args, **_kwargs):
        raise RuntimeError("secret internal detail /etc/passwd AKIAEXAMPLE")

    monkeypatch.setattr(aws, "client", boom)
    from tests.helpers import load_step

    monkeypatch.setattr(load_step("2_sqs_sink"), "client", boom)
    response = step_client("2_sqs_sink").post("/invocations", json=SEED)
    error = assert_error(response, 500, "InternalError")
    assert (
        "secret" not in response.text and "/etc/passwd" not in response.text and "AKIA" not in response.text
    )
    assert error["request_id"]
