"""List-price arithmetic per AWS home (Lambda, its durable functions, tenant isolation and MicroVMs; AgentCore
Runtime), from the one price table (prices.json)."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

__all__ = [
    "MB_PER_GB",
    "PRICES_FILE",
    "agentcore_session_cost",
    "durable_cost",
    "load_prices",
    "microvm_cost",
    "tenant_environment_cost",
]

# The one price table, inside this package (the local planes price their usage with it too).
PRICES_FILE = Path(__file__).resolve().parent / "prices.json"
# AgentCore and Lambda both count memory in GB of 1,024 MB (Lambda: 128 MB = 0.125 GB).
MB_PER_GB = 1024


@functools.cache
def load_prices(path: Path = PRICES_FILE) -> dict[str, Any]:
    """Return the price table (source URLs, date read, region, rates)."""
    return dict(json.loads(path.read_text(encoding="utf-8")))


def agentcore_session_cost(
    session_seconds: float,
    cpu_seconds: float,
    peak_memory_mb: float,
    version: str = "v1",
    prices: dict[str, Any] | None = None,
    *,
    startup_seconds: float = 0.0,
    startup_memory_mb: float = 0.0,
) -> float:
    """Return the USD list price of one AgentCore Runtime session.

    CPU seconds at the vCPU-hour rate; memory at max(peak, 128 MB) for every second of the session,
    rounded up to whole seconds with a 1 s minimum; the first `startup_seconds` of them (part of
    `session_seconds`) at max(startup_memory_mb, 128 MB) instead. No allowance for the service's system
    overhead.
    """
    table = (prices or load_prices())["agentcore"]
    rates = table["platform_versions"][version]
    billed_seconds = max(table["min_billed_seconds"], math.ceil(session_seconds))
    starting = min(startup_seconds, billed_seconds)
    floor_mb = table["min_memory_mb"]
    gb_seconds = (
        starting * max(startup_memory_mb, floor_mb)
        + (billed_seconds - starting) * max(peak_memory_mb, floor_mb)
    ) / MB_PER_GB
    cpu = cpu_seconds * rates["vcpu_hour"] / 3600
    memory = gb_seconds * rates["gb_hour"] / 3600
    return float(cpu + memory)


def microvm_cost(
    running_seconds: float,
    suspended_seconds: float,
    memory_gb: float | None = None,
    suspends: int = 0,
    snapshot_reads: int = 1,
    prices: dict[str, Any] | None = None,
    *,
    burst_vcpu_seconds: float = 0.0,
    burst_gb_seconds: float = 0.0,
) -> float:
    """Return the USD list price of one Lambda MicroVM: its baseline running, its snapshot suspended.

    RUNNING bills the baseline vCPU (memory_gb x vcpu_per_gb) and memory every second, idle or not, plus
    what is used above the baseline while it is used (burst vCPU- and GB-seconds). SUSPENDED bills the
    snapshot's storage per hour; each suspend writes a snapshot and each launch or resume reads one (taken
    as the memory's size).
    """
    table = (prices or load_prices())["lambda_microvms"]
    gb = table["default_memory_gb"] if memory_gb is None else memory_gb
    vcpu = gb * table["vcpu_per_gb"]
    running = running_seconds * (vcpu * table["vcpu_second"] + gb * table["gb_second"])
    burst = burst_vcpu_seconds * table["vcpu_second"] + burst_gb_seconds * table["gb_second"]
    stored = suspended_seconds / 3600 * gb * table["snapshot_gb_hour"]
    moved = gb * (suspends * table["snapshot_write_gb"] + snapshot_reads * table["snapshot_read_gb"])
    return float(running + burst + stored + moved)


def durable_cost(
    operations: float, gb_written: float, gb_months_retained: float, prices: dict[str, Any] | None = None
) -> float:
    """Return the USD list price of durable execution itself: operations, data written and data retained.

    The invocations that run the steps (replays included) are ordinary Lambda requests and duration, priced
    apart; a wait bills no duration.
    """
    table = (prices or load_prices())["lambda_durable"]
    return float(
        operations * table["per_million_operations"] / 1_000_000
        + gb_written * table["per_gb_written"]
        + gb_months_retained * table["per_gb_month_retained"]
    )


def tenant_environment_cost(
    new_environments: float, memory_mb: float, prices: dict[str, Any] | None = None
) -> float:
    """Return the USD charge for new tenant-isolated environments of this memory size (x86_64)."""
    table = (prices or load_prices())["lambda_tenant_isolation"]
    return float(new_environments * memory_mb / MB_PER_GB * table["per_new_environment_gb"]["x86_64"])
