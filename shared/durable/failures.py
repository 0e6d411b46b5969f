"""A durable execution that fails with the project's error: its ErrorType is the error's code (`InvalidInput`,
`SinkWriteFailed`, ...), its ErrorMessage the message the steps give, its ErrorData the error envelope the
steps answer with (`{"code", "message", "field", ...}`), and it carries no stack trace.

The SDK (aws-durable-execution-sdk-python 3.x, `ErrorObject.from_exception`) names a failed execution's, or a
failed step's, ErrorType after the class of the exception that ended it, with its module
(`shared.core.errors.InvalidInput`), except for classes of the `builtins` module (`ValueError`); it has no
parameter for the type. So the exception raised is of a class named after the code that declares the
`builtins` module: its ErrorType is then exactly the code. A `DurableOperationError` keeps its `data`.

A step that fails for good reaches the handler as the SDK's `StepError`, whose `error_type` and `data` are
those the step's own failure was recorded with: `step_failure` raises that same code again, so the
execution fails with the code of the step, not with `StepError`.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from aws_durable_execution_sdk_python import DurableOperationError, StepError

from ..core.errors import AppError
from ..core.jsonnum import dumps_exact

__all__ = ["Failure", "failure", "failure_class", "step_failure", "with_error_codes"]

T = TypeVar("T")


class Failure(DurableOperationError):
    """A failure that carries one of the project's error codes; each code has its own subclass."""

    code = "InternalError"


_classes: dict[str, type[Failure]] = {}
_lock = threading.Lock()


def failure_class(code: str) -> type[Failure]:
    """The Failure subclass named `code`, in the builtins module, so the SDK writes `code` as the type."""
    with _lock:
        cls = _classes.get(code)
        if cls is None:
            doc = f"The execution (or step) failed with error code {code}."
            cls = type(code, (Failure,), {"code": code, "__module__": "builtins", "__doc__": doc})
            _classes[code] = cls
        return cls


def failure(error: AppError) -> Failure:
    """The failure that ends an execution (or a step) with this error's code, message and envelope."""
    envelope = dumps_exact(error.to_body()["error"])
    return failure_class(error.code)(message=error.message, error_type=error.code, data=envelope)


def _envelope(data: str | None) -> dict[str, Any]:
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def step_failure(error: StepError) -> Failure:
    """The failure for a step that failed for good: its own code when it failed with one of ours."""
    recorded = error.error_type or ""
    # 3.x records a full class path, older releases the bare class name: the code is the last part.
    code = recorded.rsplit(".", 1)[-1]
    if _envelope(error.data).get("code") == code:
        return failure_class(code)(message=error.message, error_type=code, data=error.data)
    # Not one of ours (a bug in a step, a serializer error): say which, without claiming anything landed.
    return failure(AppError(f"a step of the durable execution failed ({recorded or 'unknown error'})"))


def with_error_codes(func: Callable[..., T]) -> Callable[..., T]:
    """Make a durable handler, or a step's body, fail with the project's codes (see the module's doc).

    An AppError becomes its Failure (the AppError kept as the cause, which a retry strategy reads), and a
    StepError the Failure of the step's own code. The SDK's suspensions are BaseExceptions: they pass.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return func(*args, **kwargs)
        except AppError as exc:
            raise failure(exc) from exc
        except StepError as exc:
            raise step_failure(exc) from None

    return wrapper
