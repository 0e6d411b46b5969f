"""Monthly list prices of one workload on Lambda and on AgentCore Runtime, and the limits it would hit."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from .prices import MB_PER_GB, agentcore_session_cost, load_prices

ARCHITECTURES = ("x86_64", "arm64")
VERSIONS = ("v1", "v2")
# The session patterns of the pinned JSON: seconds a session stays idle after its last request.
PATTERNS = {"stop_after_each": 0, "idle_60": 60, "idle_default": 900}

# Limits (read 2026-12-01; the README's comparison cites each one).
LAMBDA_MAX_DURATION_S = 900  # Lambda quotas page
LAMBDA_MEMORY_MB = (128, 10_240)  # Lambda quotas page; 1 MB steps
LAMBDA_SYNC_PAYLOAD_MB = 6  # Lambda quotas page / Invoke API: 6 MB each way, synchronous
AGENTCORE_SYNC_REQUEST_S = 900  # AgentCore quotas page: request timeout 15 min
AGENTCORE_STREAM_S = 3_600  # AgentCore quotas page: streaming maximum 60 min
AGENTCORE_PAYLOAD_MB = 100  # AgentCore quotas page
AGENTCORE_MICROVM_MEMORY_MB = 8 * 1024  # AgentCore quotas page: 2 vCPU / 8 GB per session
AGENTCORE_MICROVM_LIFETIME_S = 28_800  # lifecycle settings: maxLifetime up to 8 h on microVMs
AGENTCORE_INSTANCES_LIFETIME_S = 1_209_600  # lifecycle settings: up to 14 days on Instances


@dataclass(frozen=True)
class Request:
    """One request as both platforms would run it."""

    wall_ms: float  # handler time: CPU plus waiting (Lambda's Duration)
    cpu_ms: float
    billed_ms: int  # Lambda's billed duration
    lambda_memory_mb: int  # Lambda's configured memory
    peak_memory_mb: float  # memory the code actually uses (Lambda's Max Memory Used)


@dataclass(frozen=True)
class Workload:
    """A sample of requests and how often it recurs in a month, grouped into AgentCore sessions."""

    sample: tuple[Request, ...]
    monthly_requests: float
    requests_per_session: int = 1
    session_gap_s: float = 0.0  # idle time between two requests of one session
    startup_s: float = 0.0  # billed session start-up before the first request
    payload_mb: float | None = None
    v2_memory_mb: float | None = None  # V2's billed memory when measured apart; else the peak

    @property
    def scale(self) -> float:
        """How many times the sample recurs in a month."""
        return self.monthly_requests / len(self.sample)


@dataclass(frozen=True)
class Session:
    """One AgentCore session of the workload, before its idle tail."""

    busy_s: float  # start-up, the requests and the gaps between them
    cpu_s: float
    peak_memory_mb: float


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
    granularity = granularity_ms or load_prices()["lambda"]["billing_granularity_ms"]
    wall = cpu_ms + wait_ms
    request = Request(
        wall_ms=wall,
        cpu_ms=cpu_ms,
        billed_ms=granularity * math.ceil(round(wall / granularity, 9)),
        lambda_memory_mb=lambda_memory_mb if lambda_memory_mb is not None else math.ceil(memory_mb),
        peak_memory_mb=memory_mb,
    )
    return Workload(sample=(request,), monthly_requests=requests, **options)


def session_sample(workload: Workload) -> tuple[Request, ...]:
    """Return the sample repeated until it splits into whole sessions (24 records, 50 a session: 600)."""
    size, count = workload.requests_per_session, len(workload.sample)
    return workload.sample * (size // math.gcd(size, count))


def sessions(workload: Workload, version: str = "v1") -> list[Session]:
    """Group the session sample, in order, into sessions of `requests_per_session` requests."""
    size = workload.requests_per_session
    sample = session_sample(workload)
    out = []
    for start in range(0, len(sample), size):
        group = sample[start : start + size]
        busy_ms = sum(r.wall_ms for r in group) + (len(group) - 1) * workload.session_gap_s * 1000
        peak = max(r.peak_memory_mb for r in group)
        if version == "v2" and workload.v2_memory_mb is not None:
            peak = workload.v2_memory_mb
        out.append(
            Session(
                busy_s=workload.startup_s + busy_ms / 1000,
                cpu_s=sum(r.cpu_ms for r in group) / 1000,
                peak_memory_mb=peak,
            )
        )
    return out


def lambda_monthly(
    workload: Workload, architecture: str, free_tier: bool = False, prices: dict[str, Any] | None = None
) -> float:
    """Return Lambda's USD a month: billed GB-seconds at the first-tier rate plus requests."""
    table = (prices or load_prices())["lambda"]
    sample_gb_s = sum(
        r.billed_ms / 1000 * max(r.lambda_memory_mb, LAMBDA_MEMORY_MB[0]) / MB_PER_GB for r in workload.sample
    )
    gb_s = sample_gb_s * workload.scale
    requests = workload.monthly_requests
    if free_tier:
        gb_s = max(0.0, gb_s - table["free_tier"]["gb_seconds"])
        requests = max(0.0, requests - table["free_tier"]["requests"])
    compute = gb_s * table["gb_second"][architecture]
    return float(compute + requests * table["per_million_requests"] / 1_000_000)


def agentcore_monthly(
    workload: Workload, version: str, idle_s: float, prices: dict[str, Any] | None = None
) -> float:
    """Return AgentCore's USD a month when every session idles `idle_s` after its last request."""
    sample_cost = sum(
        agentcore_session_cost(round(s.busy_s + idle_s, 9), s.cpu_s, s.peak_memory_mb, version, prices)
        for s in sessions(workload, version)
    )
    return sample_cost * workload.monthly_requests / len(session_sample(workload))


def break_even_idle_s(
    workload: Workload, version: str, lambda_cost: float, prices: dict[str, Any] | None = None
) -> int | None:
    """Return the longest idle tail (whole seconds) at which AgentCore costs no more than `lambda_cost`.

    None when even a session stopped right after its work costs more; the lifetime limit caps the search.
    """
    if agentcore_monthly(workload, version, 0, prices) > lambda_cost:
        return None
    low, high = 0, AGENTCORE_INSTANCES_LIFETIME_S
    if agentcore_monthly(workload, version, high, prices) <= lambda_cost:
        return high
    # The cost only grows with the idle tail, so bisect on whole seconds.
    while high - low > 1:
        middle = (low + high) // 2
        if agentcore_monthly(workload, version, middle, prices) <= lambda_cost:
            low = middle
        else:
            high = middle
    return low


def with_wait_share(workload: Workload, share: float) -> Workload:
    """Return the workload with the same wall times, `share` of each spent waiting instead of computing."""
    sample = tuple(replace(r, cpu_ms=r.wall_ms * (1 - share)) for r in workload.sample)
    return replace(workload, sample=sample)


def with_requests_per_session(workload: Workload, per_session: int) -> Workload:
    """Return the workload with sessions of `per_session` requests each."""
    return replace(workload, requests_per_session=per_session)


def _check(value: float | None, limit: float | None, unit: str, what: str) -> dict[str, Any]:
    hit = None if value is None or limit is None else value > limit
    return {"value": value, "limit": limit, "unit": unit, "hit": hit, "what": what}


def limits(workload: Workload) -> dict[str, dict[str, dict[str, Any]]]:
    """Return, per platform, the workload's largest figures against the limits they meet."""
    longest_s = max(r.wall_ms for r in workload.sample) / 1000
    memory = max(r.peak_memory_mb for r in workload.sample)
    lambda_memory = max(r.lambda_memory_mb for r in workload.sample)
    lifetime = max(s.busy_s for s in sessions(workload))
    payload = workload.payload_mb
    return {
        "lambda": {
            "request_s": _check(longest_s, LAMBDA_MAX_DURATION_S, "s", "15 min per invocation"),
            "memory_mb": _check(
                max(memory, lambda_memory), LAMBDA_MEMORY_MB[1], "MB", "10,240 MB per function"
            ),
            "payload_mb": _check(payload, LAMBDA_SYNC_PAYLOAD_MB, "MB", "6 MB each way, synchronous"),
        },
        "agentcore_microvm": {
            "request_s": _check(
                longest_s,
                AGENTCORE_SYNC_REQUEST_S,
                "s",
                "15 min synchronous (60 min streamed, 8 h as async work)",
            ),
            "session_s": _check(
                lifetime, AGENTCORE_MICROVM_LIFETIME_S, "s", "maxLifetime up to 28,800 s (8 h)"
            ),
            "memory_mb": _check(
                memory, AGENTCORE_MICROVM_MEMORY_MB, "MB", "8 GB per session (2 vCPU), fixed"
            ),
            "payload_mb": _check(payload, AGENTCORE_PAYLOAD_MB, "MB", "100 MB"),
        },
        "agentcore_instances": {
            "request_s": _check(
                longest_s, AGENTCORE_SYNC_REQUEST_S, "s", "15 min synchronous (as on microVMs)"
            ),
            "session_s": _check(
                lifetime, AGENTCORE_INSTANCES_LIFETIME_S, "s", "maxLifetime up to 1,209,600 s (14 days)"
            ),
            "memory_mb": _check(memory, None, "MB", "the instance type's memory (capacity provider)"),
            "payload_mb": _check(payload, AGENTCORE_PAYLOAD_MB, "MB", "100 MB"),
        },
    }


def _usd(value: float) -> float:
    # Twelve significant digits: float noise (85.20017000000001) off, at any size of bill.
    return float(f"{value:.12g}")


def compare(
    workload: Workload, free_tier: bool = False, prices: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Return the pinned JSON object: Lambda per architecture, AgentCore per version and pattern, limits."""
    return {
        "lambda": {arch: _usd(lambda_monthly(workload, arch, free_tier, prices)) for arch in ARCHITECTURES},
        "agentcore": {
            version: {
                name: _usd(agentcore_monthly(workload, version, idle, prices))
                for name, idle in PATTERNS.items()
            }
            for version in VERSIONS
        },
        "limits": limits(workload),
    }
