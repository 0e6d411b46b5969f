"""How a command fails: one line on stderr saying what is wrong and how to fix it, and a non-zero status."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["fail"]


def fail(message: str, status: int = 1) -> int:
    """Print `<command>: <message>` on stderr and return the exit status to use."""
    print(f"{Path(sys.argv[0]).name}: {message}", file=sys.stderr)
    return status
