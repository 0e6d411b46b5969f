"""The one number format of the cost model's tables: three significant figures, thousands separated, trailing
zeros dropped, never in exponent form."""

from __future__ import annotations

import math

__all__ = ["FORMAT_NOTE", "figure", "many"]

FORMAT_NOTE = "3 significant figures, trailing zeros dropped: 1,260, 85.2, 13, 0.5, 0.000965"
DIGITS = 3


def figure(value: float) -> str:
    """Return `value` to three significant figures: 1,260 / 85.2 / 13 / 0.5 / 0.000965."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    rounded = float(f"{value:.{DIGITS}g}")
    # The rounded value decides the decimals (9.996 rounds to 10.0, not 9.996's 9.99x).
    decimals = max(0, DIGITS - 1 - math.floor(math.log10(abs(rounded))))
    text = f"{rounded:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def many(count: float, word: str) -> str:
    """Return `count` as a figure with `word`, plural unless it is exactly 1: "1 wait", "4 operations"."""
    return f"{figure(count)} {word}{'' if count == 1 else 's'}"
