"""A workload as every home prices it: a sample of requests, how often it recurs in a month, and how the
requests group into sessions (AgentCore sessions, MicroVMs)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from .prices import load_prices

__all__ = [
    "LAMBDA_MIN_MEMORY_MB",
    "NO_STARTUP",
    "Request",
    "Session",
    "Startup",
    "Workload",
    "billed_ms",
    "profile_workload",
    "session_sample",
    "sessions",
    "with_requests_per_session",
    "with_wait_ms",
    "with_wait_share",
]

# Lambda bills at least 128 MB (quotas page: 128 to 10,240 MB in 1 MB steps).
LAMBDA_MIN_MEMORY_MB = 128


@dataclass(frozen=True)
class Request:
    """One request as every home would run it."""

    wall_ms: float  # handler time: CPU plus waiting (Lambda's Duration)
    cpu_ms: float
    billed_ms: int  # Lambda's billed duration
    lambda_memory_mb: int  # Lambda's configured memory
    peak_memory_mb: float  # memory the code actually uses (Lambda's Max Memory Used)
    cold: bool = False  # a new execution environment served it (a REPORT line with Init Duration)

    @property
    def wait_ms(self) -> float:
        """The part of the wall time spent waiting, not computing."""
        return max(0.0, self.wall_ms - self.cpu_ms)


@dataclass(frozen=True)
class Startup:
    """What AgentCore bills for starting one new session, before its first request."""

    seconds: float
    cpu_seconds: float
    memory_mb: float

    @classmethod
    def published(cls, prices: dict[str, Any] | None = None) -> Startup:
        """The price table's sourced figure (agentcore.startup: derived from AWS's own measurement)."""
        figure = (prices or load_prices())["agentcore"]["startup"]
        return cls(float(figure["seconds"]), float(figure["vcpu_seconds"]), float(figure["memory_mb"]))


NO_STARTUP = Startup(0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Workload:
    """A sample of requests and how often it recurs in a month, grouped into sessions."""

    sample: tuple[Request, ...]
    monthly_requests: float
    requests_per_session: int = 1
    session_gap_s: float = 0.0  # idle time between two requests of one session
    startup: Startup = field(default_factory=Startup.published)  # billed per new AgentCore session
    payload_mb: float | None = None
    v2_memory_mb: float | None = None  # V2's billed memory when measured apart; else the peak

    @property
    def scale(self) -> float:
        """How many times the sample recurs in a month."""
        return self.monthly_requests / len(self.sample)

    @property
    def peak_memory_mb(self) -> float:
        """The largest memory any request of the sample uses."""
        return max(r.peak_memory_mb for r in self.sample)


@dataclass(frozen=True)
class Session:
    """One session of the workload: its requests and the gaps between them, before start-up or idle tail."""

    work_s: float  # the requests' wall time and the gaps between them
    cpu_s: float
    peak_memory_mb: float
    requests: int


def billed_ms(wall_ms: float, granularity_ms: int | None = None) -> int:
    """Lambda's billed duration of `wall_ms`: rounded up to the billing granularity."""
    step = granularity_ms or load_prices()["lambda"]["billing_granularity_ms"]
    return int(step * math.ceil(round(wall_ms / step, 9)))


def profile_workload(
    requests: float,
    cpu_ms: float,
    wait_ms: float,
    memory_mb: float,
    lambda_memory_mb: int | None = None,
    granularity_ms: int | None = None,
    **options: Any,
) -> Workload:
    """Return the workload of `requests` identical requests a month."""
    wall = cpu_ms + wait_ms
    request = Request(
        wall_ms=wall,
        cpu_ms=cpu_ms,
        billed_ms=billed_ms(wall, granularity_ms),
        lambda_memory_mb=lambda_memory_mb if lambda_memory_mb is not None else math.ceil(memory_mb),
        peak_memory_mb=memory_mb,
    )
    return Workload(sample=(request,), monthly_requests=requests, **options)


def session_sample(workload: Workload) -> tuple[Request, ...]:
    """Return the sample repeated until it splits into whole sessions (24 records, 50 a session: 600)."""
    size, count = workload.requests_per_session, len(workload.sample)
    return workload.sample * (size // math.gcd(size, count))


def sessions(workload: Workload) -> list[Session]:
    """Group the session sample, in order, into sessions of `requests_per_session` requests."""
    size = workload.requests_per_session
    sample = session_sample(workload)
    out = []
    for start in range(0, len(sample), size):
        group = sample[start : start + size]
        work_ms = sum(r.wall_ms for r in group) + (len(group) - 1) * workload.session_gap_s * 1000
        out.append(
            Session(
                work_s=work_ms / 1000,
                cpu_s=sum(r.cpu_ms for r in group) / 1000,
                peak_memory_mb=max(r.peak_memory_mb for r in group),
                requests=len(group),
            )
        )
    return out


def with_wait_share(workload: Workload, share: float) -> Workload:
    """Return the workload with the same wall times, `share` of each spent waiting instead of computing."""
    sample = tuple(replace(r, cpu_ms=r.wall_ms * (1 - share)) for r in workload.sample)
    return replace(workload, sample=sample)


def with_wait_ms(workload: Workload, wait_ms: float) -> Workload:
    """Return the workload with the same CPU per request and every request waiting `wait_ms`.

    Lambda's billed duration keeps what it billed beyond the wall time (INIT on a cold start).
    """
    sample = tuple(
        replace(
            r,
            wall_ms=r.cpu_ms + wait_ms,
            billed_ms=max(0, r.billed_ms - billed_ms(r.wall_ms)) + billed_ms(r.cpu_ms + wait_ms),
        )
        for r in workload.sample
    )
    return replace(workload, sample=sample)


def with_requests_per_session(workload: Workload, per_session: int) -> Workload:
    """Return the workload with sessions of `per_session` requests each."""
    return replace(workload, requests_per_session=per_session)
