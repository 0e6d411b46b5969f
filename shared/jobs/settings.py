"""The async jobs' settings: a job's lease, and its runtime's maxLifetime (both sides read it, so a job
that could never finish is refused before it starts)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..core.settings import DEFAULT_MAX_LIFETIME_SECONDS, MAX_LIFETIME_LIMIT_SECONDS, int_setting

__all__ = ["DEFAULT_JOB_LEASE_SECONDS", "JOB_LEASE_SECONDS", "RUNTIME_MAX_LIFETIME_SECONDS", "JobSettings"]

JOB_LEASE_SECONDS = "JOB_LEASE_SECONDS"
RUNTIME_MAX_LIFETIME_SECONDS = "RUNTIME_MAX_LIFETIME_SECONDS"
DEFAULT_JOB_LEASE_SECONDS = 30


@dataclass(frozen=True)
class JobSettings:
    """How long a job's lease lasts, and how long its runtime session may live (its maxLifetime)."""

    lease_seconds: int
    max_lifetime: int

    @property
    def heartbeat_seconds(self) -> float:
        """How often a running job renews its lease: three times per lease."""
        return self.lease_seconds / 3

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> JobSettings:
        """Read JOB_LEASE_SECONDS (2 to 900) and RUNTIME_MAX_LIFETIME_SECONDS (the runtime's maxLifetime)."""
        return cls(
            lease_seconds=int_setting(JOB_LEASE_SECONDS, DEFAULT_JOB_LEASE_SECONDS, 2, 900, environ),
            max_lifetime=int_setting(
                RUNTIME_MAX_LIFETIME_SECONDS,
                DEFAULT_MAX_LIFETIME_SECONDS,
                1,
                MAX_LIFETIME_LIMIT_SECONDS,
                environ,
            ),
        )
