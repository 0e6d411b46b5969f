"""A durable execution fails with the project's error code as its ErrorType (checked with the SDK's own
ErrorObject, the one the service receives), its message and envelope, and no stack trace."""

from __future__ import annotations

import json

import pytest
from aws_durable_execution_sdk_python import StepError
from aws_durable_execution_sdk_python.lambda_service import ErrorObject

from shared.core.errors import AppError, ConfigurationError, InvalidInput, SinkThrottled, SinkWriteFailed
from shared.durable import failure, failure_class, step_failure, with_error_codes


@pytest.mark.parametrize(
    "error",
    [
        InvalidInput("prompt.a must be a number", field="prompt.a", expected='{"prompt": {}}'),
        SinkWriteFailed("the write to DynamoDB table t failed (AccessDeniedException)", resource="t"),
        SinkThrottled("the write to DynamoDB table t was throttled (ThrottlingException)"),
        ConfigurationError("the environment variable X is not set", variable="X"),
    ],
)
def test_the_error_object_carries_the_code_message_and_envelope(error: AppError) -> None:
    wire = ErrorObject.from_exception(failure(error))

    assert wire.type == error.code
    assert wire.message == error.message
    assert json.loads(wire.data or "") == error.to_body()["error"]
    assert wire.stack_trace is None


def test_one_class_per_code() -> None:
    assert failure_class("InvalidInput") is failure_class("InvalidInput")
    assert failure_class("InvalidInput") is not failure_class("SinkWriteFailed")
    assert failure_class("SinkWriteFailed").__module__ == "builtins"


def _step_error(cause: Exception) -> StepError:
    """The StepError the SDK raises for a step that failed with `cause`, rebuilt from what it recorded."""
    recorded = ErrorObject.from_exception(cause)
    with pytest.raises(StepError) as raised:
        recorded.raise_as_operation_error(StepError)
    return raised.value


def test_a_step_that_failed_with_our_code_fails_the_execution_with_it() -> None:
    step = _step_error(failure(SinkThrottled("the write was throttled (ThrottlingException)")))

    wire = ErrorObject.from_exception(step_failure(step))

    assert (wire.type, wire.message) == ("SinkThrottled", "the write was throttled (ThrottlingException)")


@pytest.mark.parametrize("cause", [KeyError("id"), ValueError("bad"), SinkWriteFailed("raised raw")])
def test_a_step_that_failed_otherwise_fails_as_internal_error_naming_what(cause: Exception) -> None:
    # A bare AppError (not turned into its failure) or a bug: its class path is named, nothing more claimed.
    step = _step_error(cause)

    wire = ErrorObject.from_exception(step_failure(step))

    assert wire.type == "InternalError"
    assert type(cause).__name__ in (wire.message or "")


def test_with_error_codes_keeps_the_app_error_as_the_cause() -> None:
    underlying = SinkWriteFailed("the write failed (InternalServerError)")

    @with_error_codes
    def body() -> None:
        raise underlying

    with pytest.raises(failure_class("SinkWriteFailed")) as raised:
        body()
    assert raised.value.__cause__ is underlying  # a retry strategy reads the chain down to botocore's error


def test_with_error_codes_turns_a_step_error_into_the_steps_code() -> None:
    @with_error_codes
    def handler() -> None:
        raise _step_error(failure(InvalidInput("the sum a + b is too large", field="prompt")))

    with pytest.raises(failure_class("InvalidInput")):
        handler()
