"""Waiting for something to happen, as the tests and the benchmarks wait for it."""

from __future__ import annotations

import time
from typing import Any

__all__ = ["wait_until"]


def wait_until(check: Any, timeout: float, what: str, every: float = 0.05) -> Any:
    """Poll `check()` until it returns something truthy (returned); AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {timeout} s")
        time.sleep(every)
