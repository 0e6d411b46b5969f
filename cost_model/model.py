"""Monthly list prices of one workload on every AWS home that publishes its rates, and the limits it hits.

Lambda (x86_64, arm64) and AgentCore Runtime (V1, V2) as the pinned JSON has them; Lambda with tenant
isolation, Lambda durable functions and Lambda MicroVMs (tenancy.py, durable.py, microvms.py) beside them;
the homes whose rates could not be read, named with why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .durable import DURABLE_PATTERNS, DurableJob, durable_monthly
from .microvms import MICROVM_PATTERNS, IdlePolicy, microvms_monthly
from .prices import MB_PER_GB, agentcore_session_cost, load_prices
from .tenancy import TENANT_ARCHITECTURE, TENANT_PATTERNS, Tenancy, requests_per_environment, tenant_charge
from .workload import (
    LAMBDA_MIN_MEMORY_MB,
    Workload,
    session_sample,
    sessions,
    with_requests_per_session,
)

__all__ = [
    "ARCHITECTURES",
    "PATTERNS",
    "VERSIONS",
    "Homes",
    "agentcore_monthly",
    "break_even_idle_s",
    "compare",
    "lambda_monthly",
    "limits",
    "new_home_limits",
    "not_priced",
    "session_storage_monthly",
]

ARCHITECTURES = ("x86_64", "arm64")
VERSIONS = ("v1", "v2")
# The session patterns of the pinned JSON: seconds a session stays idle after its last request.
PATTERNS = {"stop_after_each": 0, "idle_60": 60, "idle_default": 900}

# Limits (read 2026-12-02; the README's comparison cites each one).
LAMBDA_MAX_DURATION_S = 900  # Lambda quotas page
LAMBDA_MEMORY_MB = (LAMBDA_MIN_MEMORY_MB, 10_240)  # Lambda quotas page; 1 MB steps
LAMBDA_SYNC_PAYLOAD_MB = 6  # Lambda quotas page / Invoke API: 6 MB each way, synchronous
AGENTCORE_SYNC_REQUEST_S = 900  # AgentCore quotas page: request timeout 15 min
AGENTCORE_STREAM_S = 3_600  # AgentCore quotas page: streaming maximum 60 min
AGENTCORE_PAYLOAD_MB = 100  # AgentCore quotas page
AGENTCORE_MICROVM_MEMORY_MB = 8 * 1024  # AgentCore quotas page: 2 vCPU / 8 GB per session
AGENTCORE_MICROVM_LIFETIME_S = 28_800  # lifecycle settings: maxLifetime up to 8 h on microVMs
AGENTCORE_INSTANCES_LIFETIME_S = 1_209_600  # lifecycle settings: up to 14 days on Instances
DURABLE_CHECKPOINT_MB = 100  # Lambda quotas, durable functions: 100 MB of checkpoint data per execution
# The homes the price table names as not priced here, in the order the table lists them.
NOT_PRICED = {
    "lambda_web_functions": ("Lambda Web Functions", ("lambda_web_functions",)),
    "lambda_managed_instances": ("Lambda Managed Instances", ("lambda_managed_instances",)),
    "lambda_tenant_isolation_arm64": ("Lambda arm64 with tenant isolation", ("lambda_tenant_isolation",)),
    "agentcore_instances": ("AgentCore Runtime Instances", ("agentcore_instances",)),
    "agentcore_session_storage_files": (
        "AgentCore managed session storage (the files kept)",
        ("agentcore", "session_storage"),
    ),
}


@dataclass(frozen=True)
class Homes:
    """How the homes beyond Lambda and AgentCore run the workload (each with its stated defaults)."""

    architecture: str = "x86_64"  # Lambda durable functions' (tenant isolation is x86_64: its only rate)
    tenancy: Tenancy = field(default_factory=Tenancy)
    durable: DurableJob = field(default_factory=DurableJob)
    idle_policy: IdlePolicy = field(default_factory=IdlePolicy)


def lambda_monthly(
    workload: Workload, architecture: str, free_tier: bool = False, prices: dict[str, Any] | None = None
) -> float:
    """Return Lambda's USD a month: billed GB-seconds at the first-tier rate plus requests."""
    table = (prices or load_prices())["lambda"]
    sample_gb_s = sum(
        r.billed_ms / 1000 * max(r.lambda_memory_mb, LAMBDA_MIN_MEMORY_MB) / MB_PER_GB
        for r in workload.sample
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
    """Return AgentCore's USD a month when every session idles `idle_s` after its last request.

    Each session starts once (its billed start-up: workload.startup), runs its requests and the gaps between
    them at the session's peak memory (V2: the measured V2 memory when given), then idles.
    """
    start = workload.startup
    sample_cost = 0.0
    for session in sessions(workload):
        peak = session.peak_memory_mb
        if version == "v2" and workload.v2_memory_mb is not None:
            peak = workload.v2_memory_mb
        sample_cost += agentcore_session_cost(
            round(start.seconds + session.work_s + idle_s, 9),
            start.cpu_seconds + session.cpu_s,
            peak,
            version,
            prices,
            startup_seconds=start.seconds,
            startup_memory_mb=start.memory_mb,
        )
    return sample_cost * workload.monthly_requests / len(session_sample(workload))


def session_storage_monthly(workload: Workload, version: str, prices: dict[str, Any] | None = None) -> float:
    """Return AgentCore's USD a month when every request's session is stopped after it, its files kept.

    Managed session storage keeps a session's files across StopRuntimeSession, so a session's requests need
    not keep its microVM: each request starts one (billed start-up each time) and stops it right after.
    The storage itself is not priced (preview: no rate read).
    """
    return agentcore_monthly(with_requests_per_session(workload, 1), version, 0, prices)


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


def _check(value: float | None, limit: float | None, unit: str, what: str) -> dict[str, Any]:
    hit = None if value is None or limit is None else value > limit
    return {"value": value, "limit": limit, "unit": unit, "hit": hit, "what": what}


def limits(workload: Workload) -> dict[str, dict[str, dict[str, Any]]]:
    """Return, per platform, the workload's largest figures against the limits they meet."""
    longest_s = max(r.wall_ms for r in workload.sample) / 1000
    memory = max(r.peak_memory_mb for r in workload.sample)
    lambda_memory = max(r.lambda_memory_mb for r in workload.sample)
    lifetime = workload.startup.seconds + max(s.work_s for s in sessions(workload))
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


def new_home_limits(workload: Workload, homes: Homes, counted: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the durable functions' and the MicroVMs' limits against the workload's largest figures."""
    prices = load_prices()
    durable = counted["lambda_durable"]
    policy = homes.idle_policy
    longest_held = max(s.work_s for s in sessions(workload)) + policy.held_s
    burst = prices["lambda_microvms"]["burst_factor"] * max(prices["lambda_microvms"]["baseline_sizes_gb"])
    checkpoint_mb = max(
        (
            homes.durable.payload_kb
            + (durable[p]["most_operations_in_a_job"] - 1) * homes.durable.checkpoint_kb
        )
        / 1000
        for p in DURABLE_PATTERNS
    )
    return {
        "lambda_durable": {
            "invocation_s": _check(
                max(durable[p]["longest_invocation_s"] for p in DURABLE_PATTERNS),
                LAMBDA_MAX_DURATION_S,
                "s",
                "15 min per invocation (waits suspended: the computing between two waits)",
            ),
            "execution_days": _check(
                max(durable[p]["longest_execution_days"] for p in DURABLE_PATTERNS),
                prices["lambda_durable"]["max_execution_days"],
                "days",
                "366 days per execution (invoked asynchronously; 15 min when invoked synchronously)",
            ),
            "operations": _check(
                max(durable[p]["most_operations_in_a_job"] for p in DURABLE_PATTERNS),
                prices["lambda_durable"]["max_operations_per_execution"],
                "operations",
                "3,000 operations per execution",
            ),
            "checkpoint_mb": _check(
                checkpoint_mb, DURABLE_CHECKPOINT_MB, "MB", "100 MB written per execution"
            ),
        },
        "microvms": {
            "lifetime_s": _check(
                longest_held,
                prices["lambda_microvms"]["max_duration_s"],
                "s",
                "28,800 s (8 h) from launch, running or suspended",
            ),
            "memory_mb": _check(
                workload.peak_memory_mb, burst * MB_PER_GB, "MB", "an 8 GB baseline bursting to 4x (32 GB)"
            ),
        },
    }


def not_priced(prices: dict[str, Any] | None = None) -> dict[str, dict[str, str]]:
    """Return the homes not priced here, each with its name, why (the price table's words) and source."""
    table = prices or load_prices()
    out = {}
    for key, (name, path) in NOT_PRICED.items():
        entry = table
        for part in path:
            entry = entry[part]
        out[key] = {"home": name, "why": entry["not_priced_here"], "source": entry["source"]}
    return out


def _usd(value: float) -> float:
    # Twelve significant digits: float noise (85.20017000000001) off, at any size of bill.
    return float(f"{value:.12g}")


def compare(
    workload: Workload,
    free_tier: bool = False,
    prices: dict[str, Any] | None = None,
    homes: Homes | None = None,
) -> dict[str, Any]:
    """Return the JSON object: the pinned keys (`lambda`, `agentcore`, `limits`), then every other home.

    The new homes are objects of their patterns (USD a month), as the pinned ones are; `counted` says what
    each counted, `not_priced` which homes have no rate here and why.
    """
    homes = homes or Homes()
    table = prices or load_prices()
    tenancy: dict[str, float] = {}
    environments: dict[str, float] = {}
    for pattern in TENANT_PATTERNS:
        charge, environments[pattern] = tenant_charge(workload, homes.tenancy, pattern, table)
        tenancy[pattern] = _usd(lambda_monthly(workload, TENANT_ARCHITECTURE, free_tier, table) + charge)
    durable: dict[str, float] = {}
    durable_counts: dict[str, dict[str, float]] = {}
    for pattern in DURABLE_PATTERNS:
        cost, durable_counts[pattern] = durable_monthly(
            workload, homes.durable, pattern, homes.architecture, free_tier, table
        )
        durable[pattern] = _usd(cost)
    microvms: dict[str, float] = {}
    microvm_counts: dict[str, dict[str, float]] = {}
    for pattern in MICROVM_PATTERNS:
        cost, microvm_counts[pattern] = microvms_monthly(workload, pattern, homes.idle_policy, table)
        microvms[pattern] = _usd(cost)
    start = workload.startup
    counted = {
        "lambda_durable": durable_counts,
        "lambda_tenant_isolation": {
            "new_environments_a_month": environments,
            "requests_per_environment": requests_per_environment(workload, homes.tenancy, table),
            "tenants": homes.tenancy.tenants,
            "architecture": TENANT_ARCHITECTURE,
        },
        "microvms": microvm_counts,
        "agentcore": {
            "sessions_a_month": workload.monthly_requests / workload.requests_per_session,
            "startup_per_session": {
                "seconds": start.seconds,
                "vcpu_seconds": start.cpu_seconds,
                "memory_mb": start.memory_mb,
            },
        },
    }
    return {
        "lambda": {arch: _usd(lambda_monthly(workload, arch, free_tier, table)) for arch in ARCHITECTURES},
        "agentcore": {
            version: {
                name: _usd(agentcore_monthly(workload, version, idle, table))
                for name, idle in PATTERNS.items()
            }
            for version in VERSIONS
        },
        "limits": limits(workload),
        "lambda_tenant_isolation": tenancy,
        "lambda_durable": durable,
        "microvms": microvms,
        "agentcore_session_storage": {
            version: _usd(session_storage_monthly(workload, version, table)) for version in VERSIONS
        },
        "counted": counted,
        "limits_new_homes": new_home_limits(workload, homes, counted),
        "not_priced": not_priced(table),
    }
