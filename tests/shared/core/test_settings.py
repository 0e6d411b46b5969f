"""Settings: defaults, bounds, and errors that name the variable."""

import pytest

from shared.core.errors import ConfigurationError
from shared.sinks.settings import DynamoDbSettings, S3Settings, SqsSettings


def test_missing_queue_url_names_the_variable() -> None:
    with pytest.raises(ConfigurationError) as caught:
        SqsSettings.from_env({})
    assert caught.value.details["variable"] == "SQS_QUEUE_URL"
    assert "SQS_QUEUE_URL" in caught.value.message


def test_s3_prefix_defaults_and_is_trimmed() -> None:
    assert S3Settings.from_env({"S3_BUCKET_NAME": "b"}).prefix == "agentcore-results"
    assert S3Settings.from_env({"S3_BUCKET_NAME": "b", "S3_PREFIX": "/runs/"}).prefix == "runs"


def test_dynamodb_defaults() -> None:
    got = DynamoDbSettings.from_env({"DYNAMODB_TABLE_NAME": "t"})
    assert (got.table_name, got.ttl_days, got.delay_seconds) == ("t", 30, 0)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TTL_DAYS", "0"),
        ("TTL_DAYS", "x"),
        ("TTL_DAYS", "1.5"),
        ("DELAY_SECONDS", "-1"),
        ("DELAY_SECONDS", "28801"),
    ],
)
def test_out_of_range_integers_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        DynamoDbSettings.from_env({"DYNAMODB_TABLE_NAME": "t", name: value})
    assert caught.value.details["variable"] == name
    assert value in caught.value.message


def test_bounds_are_inclusive() -> None:
    got = DynamoDbSettings.from_env({"DYNAMODB_TABLE_NAME": "t", "DELAY_SECONDS": "28800", "TTL_DAYS": "1"})
    assert (got.delay_seconds, got.ttl_days) == (28800, 1)
