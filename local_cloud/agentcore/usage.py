"""A session's usage as /_local/sessions shows it: measured figures, and their AgentCore list price for
every platform version of the cost model's price table (cost_model.agentcore_session_cost)."""

from __future__ import annotations

from typing import Any

from cost_model import agentcore_session_cost, load_prices

from ..processes.usage import Measured

__all__ = ["priced", "usage_view"]


def priced(session_seconds: float, cpu_seconds: float, peak_rss_mb: float) -> dict[str, float]:
    """USD list price of a session for every platform version in the price table."""
    versions = load_prices()["agentcore"]["platform_versions"]
    return {v: agentcore_session_cost(session_seconds, cpu_seconds, peak_rss_mb, v) for v in versions}


def usage_view(session_seconds: float, measured: Measured, inherited_cpu: float = 0.0) -> dict[str, Any]:
    """The `usage` object of /_local/sessions: measured figures and their price."""
    cpu = measured.cpu_seconds + inherited_cpu
    return {
        "session_seconds": round(session_seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "inherited_cpu_seconds": round(inherited_cpu, 3),
        "peak_rss_mb": round(measured.peak_rss_mb, 1),
        "cost_usd": priced(session_seconds, cpu, measured.peak_rss_mb),
    }
