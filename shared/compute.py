"""The a + b computation every step performs before its sink."""

from __future__ import annotations

from typing import Any

from .arithmetic import exact_sum
from .records import SumRecord
from .runtime import request_id, session_id
from .validation import parse_sum_request


def sum_record(payload: Any, context: Any) -> SumRecord:
    """Validate the payload, add exactly, and stamp the runtime's request and session ids."""
    operands = parse_sum_request(payload)
    return SumRecord(
        a=operands.a,
        b=operands.b,
        result=exact_sum(operands.a, operands.b),
        request_id=request_id(),
        session_id=session_id(context),
    )
