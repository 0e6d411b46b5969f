"""A durable function's execution timeout, as the function reads it: its template passes the value it gives
DurableConfig.ExecutionTimeout, so the code can refuse work that could not finish within it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..core.settings import int_setting

__all__ = [
    "DEFAULT_EXECUTION_TIMEOUT_SECONDS",
    "DURABLE_EXECUTION_TIMEOUT_SECONDS",
    "MAX_EXECUTION_TIMEOUT_SECONDS",
    "DurableSettings",
]

DURABLE_EXECUTION_TIMEOUT_SECONDS = "DURABLE_EXECUTION_TIMEOUT_SECONDS"
# DurableConfig.ExecutionTimeout: 1 to 31,622,400 s (366 days): Lambda Developer Guide, durable-configuration,
# and botocore 1.44.8's lambda model (read 2026-12-02).
MAX_EXECUTION_TIMEOUT_SECONDS = 31_622_400
# One day: the template's default too (on_lambda/durable_job/template.yaml; a test keeps them equal).
DEFAULT_EXECUTION_TIMEOUT_SECONDS = 86_400


@dataclass(frozen=True)
class DurableSettings:
    """How long one durable execution may run, from its start to its end (waits included)."""

    execution_timeout: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DurableSettings:
        """Read DURABLE_EXECUTION_TIMEOUT_SECONDS (1 to 31,622,400; default 86,400)."""
        timeout = int_setting(
            DURABLE_EXECUTION_TIMEOUT_SECONDS,
            DEFAULT_EXECUTION_TIMEOUT_SECONDS,
            1,
            MAX_EXECUTION_TIMEOUT_SECONDS,
            environ,
        )
        return cls(execution_timeout=timeout)
