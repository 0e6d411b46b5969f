"""Usage measured locally (AgentCore sessions, MicroVMs, durable executions), priced at the same list prices
as the cost model's table and shown the same way: what each cost, and scaled to a million of them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .numbers import FORMAT_NOTE, figure, many
from .prices import MB_PER_GB, agentcore_session_cost, durable_cost, load_prices, microvm_cost
from .table import wrap
from .workload import LAMBDA_MIN_MEMORY_MB

__all__ = ["AgentCoreSession", "DurableExecution", "MicroVmUsage", "Priced", "price", "render"]

PER = 1_000_000


@dataclass(frozen=True)
class AgentCoreSession:
    """One AgentCore session as measured: its length, the CPU it used and its peak memory."""

    session_seconds: float
    cpu_seconds: float
    peak_rss_mb: float


@dataclass(frozen=True)
class MicroVmUsage:
    """One MicroVM as measured: running and suspended time, its baseline, suspends and snapshot reads."""

    running_seconds: float
    suspended_seconds: float
    memory_gb: float
    suspends: int = 0
    snapshot_reads: int = 1  # the launch, plus one per resume


@dataclass(frozen=True)
class DurableExecution:
    """One durable execution as measured: operations, invocations and their billed time, memory, data."""

    operations: int
    invocations: int
    billed_ms_per_invocation: float
    memory_mb: float
    bytes_written: int


@dataclass(frozen=True)
class Priced:
    """One row: a home, how many of its units were measured, what they used, what they cost."""

    home: str
    count: int
    measured: str
    usd: float

    @property
    def per_million(self) -> float:
        """The same usage scaled to a million units (sessions, MicroVMs, executions)."""
        return self.usd / self.count * PER if self.count else 0.0


def _sessions(sessions: Sequence[AgentCoreSession], prices: dict[str, Any]) -> list[Priced]:
    seconds = sum(s.session_seconds for s in sessions)
    cpu = sum(s.cpu_seconds for s in sessions)
    peak = max((s.peak_rss_mb for s in sessions), default=0.0)
    what = f"{figure(seconds)} session-s, {figure(cpu)} CPU-s, peak {figure(peak)} MB"
    return [
        Priced(
            f"AgentCore {version.upper()}",
            len(sessions),
            what,
            sum(
                agentcore_session_cost(s.session_seconds, s.cpu_seconds, s.peak_rss_mb, version, prices)
                for s in sessions
            ),
        )
        for version in prices["agentcore"]["platform_versions"]
    ]


def _microvms(microvms: Sequence[MicroVmUsage], prices: dict[str, Any]) -> Priced:
    running = sum(m.running_seconds for m in microvms)
    suspended = sum(m.suspended_seconds for m in microvms)
    suspends = sum(m.suspends for m in microvms)
    reads = sum(m.snapshot_reads for m in microvms)
    sizes = "/".join(figure(gb) for gb in sorted({m.memory_gb for m in microvms}))
    return Priced(
        "Lambda MicroVMs",
        len(microvms),
        f"{figure(running)} s running, {figure(suspended)} s suspended, {many(suspends, 'suspend')}, "
        f"{many(reads, 'snapshot read')}" + (f", baseline {sizes} GB" if microvms else ""),
        sum(
            microvm_cost(
                m.running_seconds,
                m.suspended_seconds,
                m.memory_gb,
                suspends=m.suspends,
                snapshot_reads=m.snapshot_reads,
                prices=prices,
            )
            for m in microvms
        ),
    )


def _durable(executions: Sequence[DurableExecution], architecture: str, prices: dict[str, Any]) -> Priced:
    lam, durable = prices["lambda"], prices["lambda_durable"]
    retention = durable["default_retention_days"] / durable["days_per_month"]
    usd = 0.0
    for e in executions:
        step = lam["billing_granularity_ms"]
        billed = step * math.ceil(e.billed_ms_per_invocation / step)
        gb_s = e.invocations * billed / 1000 * max(e.memory_mb, LAMBDA_MIN_MEMORY_MB) / MB_PER_GB
        gb = e.bytes_written / 1000 / durable["kb_per_gb"]  # 1 KB = 1,000 bytes, as the page's example
        usd += gb_s * lam["gb_second"][architecture] + e.invocations * lam["per_million_requests"] / PER
        usd += durable_cost(e.operations, gb, gb * retention, prices)
    return Priced(
        f"Lambda durable {architecture}",
        len(executions),
        f"{many(sum(e.operations for e in executions), 'operation')}, "
        f"{many(sum(e.invocations for e in executions), 'invocation')}, "
        f"{figure(sum(e.bytes_written for e in executions) / 1000)} KB written",
        usd,
    )


def price(
    agentcore: Sequence[AgentCoreSession] = (),
    microvms: Sequence[MicroVmUsage] = (),
    durable: Sequence[DurableExecution] = (),
    architecture: str = "x86_64",
    prices: dict[str, Any] | None = None,
) -> list[Priced]:
    """Price measured usage: one row per AgentCore platform version, one for MicroVMs, one for durable."""
    table = prices or load_prices()
    return [*_sessions(agentcore, table), _microvms(microvms, table), _durable(durable, architecture, table)]


def render(
    agentcore: Sequence[AgentCoreSession] = (),
    microvms: Sequence[MicroVmUsage] = (),
    durable: Sequence[DurableExecution] = (),
    architecture: str = "x86_64",
) -> str:
    """Return the table of what the measured usage would cost at list prices, and per million of each."""
    prices = load_prices()
    rows = price(agentcore, microvms, durable, architecture, prices)
    units = {"AgentCore": "session", "Lambda MicroVMs": "MicroVM", "Lambda durable": "execution"}
    names = [
        f"{row.home}, {many(row.count, next(u for k, u in units.items() if row.home.startswith(k)))}"
        for row in rows
    ]
    width = max(len(name) for name in names) + 2
    lines = [
        f"The measured usage at list prices ({prices['region']}, read {prices['read_on']}, prices.json)",
        f"{'':<{width}}{'USD':>12}{'USD per million':>18}",
    ]
    for name, row in zip(names, rows, strict=True):
        if not row.count:
            lines.append(f"{name:<{width}}{'-':>12}{'-':>18}")
            continue
        lines.append(f"{name:<{width}}{figure(row.usd):>12}{figure(row.per_million):>18}")
        lines.append(f"  measured: {row.measured}")
    lines.append(
        f"(Every figure to {FORMAT_NOTE}. AgentCore: the start-up measured, none added; durable: data kept "
        f"{figure(prices['lambda_durable']['default_retention_days'])} days; MicroVMs: no burst above the "
        "baseline.)"
    )
    return "\n".join(wrap(line) for line in lines)
