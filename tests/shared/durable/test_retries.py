"""Which failures a durable step retries (throttling, 5xx, lost connections, through our wrapping) and how
often; everything else fails the step at once. The botocore errors are real: parsed from real answers."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)

from shared.aws.errors import is_transient, translate_errors
from shared.core.errors import InvalidInput
from shared.durable import NO_RETRY, failure, transient_aws_retry


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "PutItem"
    )


def _wrapped(exc: Exception) -> Exception:
    """The exception as a step raises it: translated into ours, then into its durable failure."""
    try:
        with translate_errors("DynamoDB table", "t"):
            raise exc
    except Exception as ours:  # SinkWriteFailed / SinkThrottled, from exc
        try:
            raise failure(ours) from ours  # type: ignore[arg-type]
        except Exception as raised:
            return raised
    raise AssertionError("not raised")


TRANSIENT = [
    _client_error("ProvisionedThroughputExceededException", 400),
    _client_error("ThrottlingException", 400),
    _client_error("InternalServerError", 500),
    _client_error("ServiceUnavailable", 503),
    ConnectionClosedError(endpoint_url="http://x"),
    ReadTimeoutError(endpoint_url="http://x"),
    ConnectTimeoutError(endpoint_url="http://x"),
    EndpointConnectionError(endpoint_url="http://x"),
]
PERMANENT = [
    _client_error("AccessDeniedException", 400),
    _client_error("ResourceNotFoundException", 400),
    _client_error("ValidationException", 400),
    NoCredentialsError(),
    ParamValidationError(report="bad"),
]


@pytest.mark.parametrize("exc", TRANSIENT, ids=lambda e: type(e).__name__ + ":" + str(e)[:40])
def test_transient_failures_are_retried_with_backoff(exc: Exception) -> None:
    strategy = transient_aws_retry(max_attempts=8, initial_delay_seconds=2, max_delay_seconds=60)
    for error in (exc, _wrapped(exc)):
        assert is_transient(error)
        first, late = strategy(error, 1), strategy(error, 7)
        assert first.should_retry and 1 <= first.delay_seconds <= 2  # full jitter, at least 1 s
        assert late.should_retry and 1 <= late.delay_seconds <= 60  # capped
        assert not strategy(error, 8).should_retry  # 8 attempts in all


@pytest.mark.parametrize("exc", PERMANENT, ids=lambda e: type(e).__name__ + ":" + str(e)[:40])
def test_permanent_failures_are_not_retried(exc: Exception) -> None:
    strategy = transient_aws_retry()
    for error in (exc, _wrapped(exc)):
        assert not is_transient(error)
        assert not strategy(error, 1).should_retry


def test_bad_input_and_bugs_are_not_retried() -> None:
    strategy = transient_aws_retry()
    for error in (failure(InvalidInput("bad", field="prompt")), KeyError("id"), ValueError("x")):
        assert not strategy(error, 1).should_retry
    assert not NO_RETRY(_client_error("ThrottlingException", 400), 1).should_retry
