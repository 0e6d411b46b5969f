"""Exact decimal arithmetic within the range DynamoDB can store."""

from __future__ import annotations

import decimal
from decimal import Decimal

from .errors import InvalidInput

__all__ = ["MAX_SIGNIFICANT_DIGITS", "Number", "exact_sum", "storable_problem"]

Number = int | Decimal

# DynamoDB numbers: up to 38 significant digits, magnitude 1E-130 .. 9.99..9E+125.
MAX_SIGNIFICANT_DIGITS = 38
MIN_ADJUSTED_EXPONENT = -130
MAX_ADJUSTED_EXPONENT = 125

# Every int strictly inside +-10**38 has at most 38 digits and a small exponent: storable as is.
_INT_BOUND = 10**MAX_SIGNIFICANT_DIGITS

# Wide enough for any sum of two storable numbers, so Inexact can only mean a bug.
_EXACT = decimal.Context(
    prec=400, Emax=999_999, Emin=-999_999, traps=[decimal.Inexact, decimal.InvalidOperation]
)


def storable_problem(value: Number) -> str | None:
    """Return why DynamoDB cannot store the number exactly, or None if it can."""
    if type(value) is int and -_INT_BOUND < value < _INT_BOUND:
        return None  # the common case, without building a Decimal
    d = Decimal(value)
    if not d.is_finite():
        return "is not a finite number"
    if d.is_zero():
        return None
    # Trailing zeros are not significant: DynamoDB trims them (1.500 is stored as 1.5).
    significant = len("".join(map(str, d.as_tuple().digits)).rstrip("0"))
    if significant > MAX_SIGNIFICANT_DIGITS:
        return f"has {significant} significant digits; at most {MAX_SIGNIFICANT_DIGITS} are allowed"
    adjusted = d.adjusted()
    if adjusted > MAX_ADJUSTED_EXPONENT:
        return "is too large; the magnitude must be below 1E+126"
    if adjusted < MIN_ADJUSTED_EXPONENT:
        return "is too small; a non-zero magnitude must be at least 1E-130"
    return None


def exact_sum(a: Number, b: Number) -> Number:
    """Add exactly: int + int stays int, anything else is an exact Decimal."""
    if isinstance(a, int) and isinstance(b, int):
        total: Number = a + b
    else:
        total = _EXACT.add(Decimal(a), Decimal(b))
    problem = storable_problem(total)
    if problem is not None:
        raise InvalidInput(
            f"the sum a + b {problem}, so it cannot be stored exactly",
            field="prompt",
            expected='{"prompt": {"a": <number>, "b": <number>}} whose sum DynamoDB can store',
        )
    return total
