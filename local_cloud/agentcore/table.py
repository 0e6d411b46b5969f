"""The session table and the priced usage, as `sessions` and the demo print them."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

COLUMNS = (
    "runtime", "session", "pid", "status", "ping", "started", "last call", "ended", "cold s",
    "session s", "CPU s", "peak MB", "V1 USD", "V2 USD",
)  # fmt: skip


def _clock(stamp: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(stamp)) if stamp else "-"


def _row(view: dict[str, Any]) -> list[str]:
    usage = view["usage"]
    sid = view["session_id"]
    return [
        view["runtime_name"],
        sid if len(sid) <= 18 else f"{sid[:8]}..{sid[-8:]}",
        str(view["pid"] or "-"),
        view["status"],
        view["ping"] or "-",
        _clock(view["started_at"]),
        _clock(view["last_invocation_at"]),
        view["ended_reason"] or "-",
        f"{view['cold_start_seconds']:.3f}" if view["cold_start_seconds"] else "-",
        f"{usage['session_seconds']:.1f}",
        f"{usage['cpu_seconds']:.2f}",
        f"{usage['peak_rss_mb']:.0f}",
        f"{usage['cost_usd'].get('v1', 0):.7f}",
        f"{usage['cost_usd'].get('v2', 0):.7f}",
    ]


def session_lines(views: Sequence[dict[str, Any]]) -> list[str]:
    """The table, one session a row, then the priced total."""
    rows = [list(COLUMNS), *(_row(v) for v in views)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return [*lines, usage_line(views)]


def usage_line(views: Sequence[dict[str, Any]]) -> str:
    """One line: sessions, session-seconds, CPU-seconds and what they would cost per platform version."""
    seconds = sum(v["usage"]["session_seconds"] for v in views)
    cpu = sum(v["usage"]["cpu_seconds"] for v in views)
    versions = sorted({k for v in views for k in v["usage"]["cost_usd"]})
    costs = ", ".join(f"{k.upper()} ${sum(v['usage']['cost_usd'][k] for v in views):.6f}" for k in versions)
    return (
        f"priced usage: {len(views)} sessions, {seconds:.1f} session-seconds, {cpu:.2f} CPU-seconds"
        + (f"; list price {costs}" if costs else "")
        + " (cost_model/prices.json)"
    )
