"""The cost model's answer as a table: monthly cost per home and pattern, what was counted, break-even,
the homes not priced, limits, assumptions."""

from __future__ import annotations

import textwrap
from typing import Any

from .labels import PATTERN_LABELS, pick, series
from .model import agentcore_monthly, break_even_idle_s
from .numbers import FORMAT_NOTE, figure, many
from .prices import PRICES_FILE, load_prices
from .run import Run

__all__ = ["CAVEAT", "PATTERN_LABELS", "render", "wrap"]

CAVEAT = (
    "list-price arithmetic, not a bill: no allowance for AgentCore's unpublished system overhead "
    "(billed, per the pricing page), V2's memory reclaim, durable replays' own time, MicroVM launch time, "
    "taxes, data transfer, logs, or the model's tokens"
)
WIDTH = 110


def render(run: Run, result: dict[str, Any]) -> str:
    """Return the readable table of `result` (from model.compare) for `run`."""
    prices = load_prices()
    base_name = f"Lambda {run.architecture}"
    base = result["lambda"][run.architecture]
    rows = [(label, pick(result, path)) for path, label in series(run, result)]
    if run.idle_timeout:
        for version in run.versions:
            cost = agentcore_monthly(run.workload, version, run.idle_timeout)
            rows.append((f"AgentCore {version.upper()}, idle timeout {figure(run.idle_timeout)} s", cost))
    width = max(len(label) for label, _ in rows) + 2
    lines = [
        f"Monthly list prices, {prices['region']}, read {prices['read_on']} ({PRICES_FILE.name}: "
        f"{prices['lambda']['source']}, {prices['agentcore']['source']})",
        f"Workload: {run.describe}",
        "",
        f"{'':<{width}}{'USD a month':>14}{'vs ' + base_name:>22}",
    ]
    for label, value in rows:
        ratio = f"{figure(value / base)}x" if base else "-"
        lines.append(f"{label:<{width}}{figure(value):>14}{ratio:>22}")
    cheapest = min(rows, key=lambda row: row[1])
    lines += [
        f"(Every figure to {FORMAT_NOTE}.)",
        "",
        f"Cheapest of these: {cheapest[0]} (${figure(cheapest[1])} a month).",
        _break_even(run, base_name, base),
        "Not priced (no rate in what could be read):",
        *(f"  {home['home']}: {home['why']}" for home in result["not_priced"].values()),
        "Counted:",
        *_counted(run, result),
        f"Limits (longest request {figure(_limit(result, 'agentcore_microvm', 'request_s'))} s, peak memory "
        f"{figure(_limit(result, 'agentcore_microvm', 'memory_mb'))} MB, longest session "
        f"{figure(_limit(result, 'agentcore_microvm', 'session_s'))} s before idling):",
    ]
    names = {
        "lambda": "Lambda",
        "agentcore_microvm": "AgentCore microVM",
        "agentcore_instances": "AgentCore Instances",
        "lambda_durable": "Lambda durable",
        "microvms": "Lambda MicroVMs",
    }
    for key, checks in (*result["limits"].items(), *result["limits_new_homes"].items()):
        lines.append(_limit_line(names[key], checks))
    lines.append("Assumptions:")
    lines += [f"  - {note}" for note in run.assumptions]
    lines.append(f"Caveat: {CAVEAT}.")
    return "\n".join(wrap(line) for line in lines)


def wrap(line: str, width: int = WIDTH) -> str:
    """Wrap a long line; its continuation keeps the indent of what it continues (a limit line, a bullet)."""
    lead = len(line) - len(line.lstrip(" -"))
    indent = " " * (lead if line[:lead].endswith("- ") else lead + 2)
    return textwrap.fill(line, width, subsequent_indent=indent, break_on_hyphens=False) if line else line


def _limit(result: dict[str, Any], home: str, name: str) -> float:
    return float(result["limits"][home][name]["value"])


def _limit_line(name: str, checks: dict[str, dict[str, Any]]) -> str:
    parts = []
    for check in checks.values():
        value, hit = check["value"], check["hit"]
        if value is None:
            state = "not given"
        elif hit is None:
            state = f"{figure(value)} {check['unit']}, check your instance type"
        else:
            state = f"{'HIT' if hit else 'ok'} ({figure(value)} {check['unit']})"
        parts.append(f"{check['what']}: {state}")
    return f"  {name}: " + "; ".join(parts)


def _counted(run: Run, result: dict[str, Any]) -> list[str]:
    counted = result["counted"]
    job, in_step = counted["lambda_durable"]["wait_suspended"], counted["lambda_durable"]["wait_in_step"]
    environments = counted["lambda_tenant_isolation"]["new_environments_a_month"]
    vms = counted["microvms"]
    suspending = vms["suspend_when_idle"]
    start = counted["agentcore"]["startup_per_session"]
    return [
        f"  Lambda durable, per job: 1 start + {many(job['steps_per_job'], 'step')} + "
        f"{many(job['waits_per_job'], 'wait')} = {many(job['operations_per_job'], 'operation')}, "
        f"{many(job['invocations_per_job'], 'invocation')} sharing the CPU time "
        f"({figure(in_step['operations_per_job'])} and {figure(in_step['invocations_per_job'])} when waiting "
        f"inside a step); {figure(job['kb_written_per_job'])} KB written, kept "
        f"{figure(job['retention_days'])} days after the execution. A month: "
        f"{many(job['operations_a_month'], 'operation')}, "
        f"{many(job['invocations_a_month'], 'invocation')}, {figure(job['gb_seconds_a_month'])} GB-s",
        f"  Lambda tenant isolation: {many(environments['estimated'], 'new environment')} a month as "
        f"estimated, {figure(environments['every_request'])} if every request needs one",
        f"  Lambda MicroVMs: {figure(vms['stay_running']['microvms_a_month'])} a month, one per session, "
        f"baseline {figure(suspending['baseline_gb'])} GB / {figure(suspending['baseline_vcpu'])} vCPU; each "
        f"runs {figure(vms['terminate_after_each']['running_s_per_microvm'])} s when terminated after its "
        f"session, {figure(suspending['running_s_per_microvm'])} s and "
        f"{figure(suspending['suspended_s_per_microvm'])} s suspended when suspended "
        f"({many(suspending['snapshot_writes_a_month'], 'snapshot write')} a month), "
        f"{figure(vms['stay_running']['running_s_per_microvm'])} s when left running",
        f"  AgentCore: {many(counted['agentcore']['sessions_a_month'], 'session')} a month, each billed a "
        f"start-up of {figure(start['seconds'])} s at {figure(start['memory_mb'])} MB and "
        f"{figure(start['vcpu_seconds'])} vCPU-s",
    ]


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
                f"{version.upper()} costs no more while each session idles at most {figure(idle)} s after it"
            )
    return f"Break-even against {base_name} (${figure(base)} a month): " + "; ".join(parts) + "."
