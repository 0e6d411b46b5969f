"""JSON that keeps decimal numbers exact in both directions."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

# allow_nan=False: NaN/Infinity are not JSON and must never reach a sink or a caller.
_encode_str = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


def loads_exact(raw: bytes | str) -> Any:
    """Parse JSON with every non-integer number as a Decimal (no float rounding)."""
    # parse_constant keeps NaN/Infinity visible as Decimal so the validator can reject them.
    return json.loads(raw, parse_float=Decimal, parse_constant=Decimal)


def dumps_exact(value: Any) -> str:
    """Serialize to compact JSON, writing Decimal values as exact JSON numbers."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot encode non-finite number {value} as JSON")
        out.append(str(value))
    elif isinstance(value, dict):
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            if i:
                out.append(",")
            out.append(_encode_str(str(key)))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        out.append(_encode_str(value))
