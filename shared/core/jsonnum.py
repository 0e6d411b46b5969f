"""JSON that keeps decimal numbers exact in both directions."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

__all__ = ["dumps_exact", "loads_exact", "plain_number"]

# allow_nan=False: NaN/Infinity are not JSON and must never reach a sink or a caller.
_encode_str = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
# Built once: json.loads(..., parse_float=...) would build a new decoder (and scanner) per call.
_decoder = json.JSONDecoder(parse_float=Decimal, parse_constant=Decimal)


def loads_exact(raw: bytes | str) -> Any:
    """Parse JSON with every non-integer number as a Decimal (no float rounding)."""
    # parse_constant keeps NaN/Infinity visible as Decimal so the validator can reject them.
    # Same input rules as json.loads: bytes in UTF-8/16/32 (BOM allowed), a str without a BOM.
    if isinstance(raw, (bytes, bytearray)):
        raw = raw.decode(json.detect_encoding(raw), "surrogatepass")
    elif raw.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", raw, 0)
    return _decoder.decode(raw)


def dumps_exact(value: Any) -> str:
    """Serialize to compact JSON, writing Decimal values as exact JSON numbers."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def plain_number(value: int | Decimal) -> int | float | str:
    """The number for a caller that serializes with plain json.dumps, never rounded.

    An integral value is an int; a decimal a float holds exactly (0.3) is that float, which json.dumps writes
    as the same digits; any other decimal is its exact digits as a string.
    """
    if isinstance(value, int):
        return value
    if not value.is_finite():
        raise ValueError(f"cannot encode non-finite number {value} as JSON")
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else str(value)


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
