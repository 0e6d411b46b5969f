"""Fixtures of the durable job's tests."""

from __future__ import annotations

import pytest

from harness.faults import no_retry_sleep


@pytest.fixture(autouse=True)
def _instant_botocore_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore sleeps between its retries in real time; the outages here retry dozens of times."""
    no_retry_sleep(monkeypatch)
