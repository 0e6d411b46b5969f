"""Validation of the payload every sum step takes: {"prompt": {"a": <number>, "b": <number>}}."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .arithmetic import Number, exact_sum, storable_problem
from .errors import AppError, InvalidInput

__all__ = [
    "EXPECTED_SHAPE",
    "SumRequest",
    "checked_delay",
    "checked_sum",
    "json_kind",
    "parse_sum_request",
]

_JSON_KINDS = {bool: "a boolean", str: "a string", list: "an array", dict: "an object"}
EXPECTED_SHAPE = '{"prompt": {"a": <number>, "b": <number>}}'


def json_kind(value: Any) -> str:
    """Name a decoded JSON value's kind as a message would: "null", "a string", "a number", ..."""
    if value is None:
        return "null"
    kind = _JSON_KINDS.get(type(value))
    if kind is not None:
        return kind
    return "a number" if isinstance(value, (int, float, Decimal)) else type(value).__name__


@dataclass(frozen=True)
class SumRequest:
    """The two validated operands."""

    a: Number
    b: Number


def _invalid(message: str, field: str) -> AppError:
    return InvalidInput(f"{message}; expected {EXPECTED_SHAPE}", field=field, expected=EXPECTED_SHAPE)


def _operand(prompt: dict[str, Any], name: str) -> Number:
    field = f"prompt.{name}"
    try:
        value = prompt[name]
    except KeyError:
        raise _invalid(f"{field} is missing", field) from None
    kind = type(value)
    number: Number
    if kind is float:
        # Only reached when the payload was not parsed exactly (direct calls); repr is the
        # shortest decimal that round-trips, so no binary noise enters the arithmetic.
        number = Decimal(repr(value))
    # bool is a subclass of int in Python but true/false are not numbers in JSON.
    elif kind is not bool and isinstance(value, (int, Decimal)):
        number = value
    else:
        raise _invalid(f"{field} must be a number, got {json_kind(value)}", field)
    problem = storable_problem(number)
    if problem is not None:
        raise _invalid(f"{field} {problem}", field)
    return number


def parse_sum_request(payload: Any) -> SumRequest:
    """Validate the payload and return its operands, or raise InvalidInput naming the field."""
    if not isinstance(payload, dict):
        raise _invalid("the payload must be a JSON object", "$")
    if "prompt" not in payload:
        raise _invalid("prompt is missing", "prompt")
    prompt = payload["prompt"]
    if not isinstance(prompt, dict):
        raise _invalid("prompt must be an object with numbers a and b", "prompt")
    return SumRequest(a=_operand(prompt, "a"), b=_operand(prompt, "b"))


def checked_sum(payload: Any) -> Number:
    """Validate the payload and return a + b exactly; InvalidInput also when the sum is not storable."""
    operands = parse_sum_request(payload)
    return exact_sum(operands.a, operands.b)


def checked_delay(payload: dict[str, Any], limit: int, expected: str, why: str = "") -> int | None:
    """Read a job's `delay_seconds`: None when absent, else an integer from 0 to `limit`.

    One rule for every home of the job (step 4's runtime: its session's 8 h; the durable job: its execution
    timeout); `why` says where the limit comes from. InvalidInput names the field.
    """
    delay = payload.get("delay_seconds")
    if delay is None:
        return None
    # bool is a subclass of int in Python but true/false are not numbers in JSON.
    if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= limit:
        raise InvalidInput(
            f"delay_seconds must be an integer from 0 to {limit}{why}",
            field="delay_seconds",
            expected=expected,
        )
    return delay
