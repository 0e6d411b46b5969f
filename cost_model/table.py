"""The cost model's answer as a table: monthly cost per home and pattern, break-even, limits, assumptions."""

from __future__ import annotations

import textwrap
from typing import Any

from .model import ARCHITECTURES, PATTERNS, agentcore_monthly, break_even_idle_s
from .prices import PRICES_FILE, load_prices
from .run import Run

__all__ = ["CAVEAT", "PATTERN_LABELS", "render"]

CAVEAT = (
    "list-price arithmetic, not a bill: no allowance for AgentCore's unpublished system overhead "
    "(billed, per the pricing page), V2's memory reclaim, taxes, data transfer, logs, or the model's tokens"
)
PATTERN_LABELS = {
    "stop_after_each": "StopRuntimeSession after each",
    "idle_60": "idle timeout 60 s (minimum)",
    "idle_default": "idle timeout 900 s (default)",
}


def _usd(value: float) -> str:
    return f"{value:,.2f}" if value >= 0.01 or value == 0 else f"{value:.6f}"


def _limit_line(name: str, checks: dict[str, dict[str, Any]]) -> str:
    parts = []
    for check in checks.values():
        value, hit = check["value"], check["hit"]
        if value is None:
            state = "not given"
        elif hit is None:
            state = f"{value:,g} {check['unit']}, check your instance type"
        else:
            state = f"{'HIT' if hit else 'ok'} ({value:,g} {check['unit']})"
        parts.append(f"{check['what']}: {state}")
    return f"  {name}: " + "; ".join(parts)


def render(run: Run, result: dict[str, Any]) -> str:
    """Return the readable table of `result` (from model.compare) for `run`."""
    prices = load_prices()
    workload = run.workload
    base_name = f"Lambda {run.architecture}"
    base = result["lambda"][run.architecture]
    rows: list[tuple[str, float]] = [(f"Lambda {arch}", result["lambda"][arch]) for arch in ARCHITECTURES]
    extra = [run.idle_timeout] if run.idle_timeout else []
    for version in run.versions:
        for name in PATTERNS:
            rows.append(
                (f"AgentCore {version.upper()}, {PATTERN_LABELS[name]}", result["agentcore"][version][name])
            )
        for idle in extra:
            rows.append(
                (
                    f"AgentCore {version.upper()}, idle timeout {idle:,} s",
                    agentcore_monthly(workload, version, idle),
                )
            )
    width = max(len(label) for label, _ in rows) + 2
    lines = [
        f"Monthly list prices, {prices['region']}, read {prices['read_on']} ({PRICES_FILE.name}: "
        f"{prices['lambda']['source']}, {prices['agentcore']['source']})",
        f"Workload: {run.describe}",
        "",
        f"{'':<{width}}{'USD a month':>14}{'vs ' + base_name:>22}",
    ]
    for label, value in rows:
        ratio = f"{value / base:.2f}x" if base else "-"
        lines.append(f"{label:<{width}}{_usd(value):>14}{ratio:>22}")
    lines += ["", _break_even(run, base_name, base)]
    biggest = result["limits"]["agentcore_microvm"]
    lines.append(
        f"Limits (longest request {biggest['request_s']['value']:,g} s, peak memory "
        f"{biggest['memory_mb']['value']:,g} MB, longest session "
        f"{biggest['session_s']['value']:,g} s before idling):"
    )
    names = {
        "lambda": "Lambda",
        "agentcore_microvm": "AgentCore microVM",
        "agentcore_instances": "AgentCore Instances",
    }
    lines += [_limit_line(names[key], checks) for key, checks in result["limits"].items()]
    lines.append("Assumptions:")
    lines += [f"  - {note}" for note in run.assumptions]
    lines.append(f"Caveat: {CAVEAT}.")
    return "\n".join(_wrap(line) for line in lines)


def _wrap(line: str, width: int = 110) -> str:
    # Wrapped lines keep the indent of what they continue (a limit line, a bullet).
    lead = len(line) - len(line.lstrip(" -"))
    indent = " " * (lead if line[:lead].endswith("- ") else lead + 2)
    return textwrap.fill(line, width, subsequent_indent=indent, break_on_hyphens=False) if line else line


def _break_even(run: Run, base_name: str, base: float) -> str:
    parts = []
    for version in run.versions:
        idle = break_even_idle_s(run.workload, version, base)
        if idle is None:
            parts.append(
                f"{version.upper()} costs more even when each session is stopped right after its work"
            )
        else:
            parts.append(
                f"{version.upper()} costs no more while each session idles at most {idle:,} s after it"
            )
    return f"Break-even against {base_name} (${_usd(base)} a month): " + "; ".join(parts) + "."
