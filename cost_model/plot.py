"""The cost model as a PNG: every priced home's monthly cost against the time each request waits and against
requests per session, in the table's words, this workload marked."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: no display on CI or in a container
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .labels import pick, series
from .model import LAMBDA_MAX_DURATION_S, compare
from .numbers import figure
from .prices import load_prices
from .run import Run
from .workload import Workload, with_requests_per_session, with_wait_ms

__all__ = ["STYLES", "draw", "within_limits", "write_plot"]

# Seconds each request waits: 0.1 s to 4 h, six points a decade.
WAITS_S = [round(0.1 * 10 ** (k / 6), 6) for k in range(0, 32)]
PER_SESSION = [1, 2, 3, 5, 10, 20, 50, 100]
# One look per series, no two alike: a colour per home, a line style per pattern, a marker of its own.
STYLES: dict[tuple[str, ...], tuple[str, str, str]] = {
    ("lambda", "x86_64"): ("tab:gray", "-", "o"),
    ("lambda", "arm64"): ("tab:gray", "--", "s"),
    ("lambda_tenant_isolation", "estimated"): ("tab:brown", "-", "^"),
    ("lambda_tenant_isolation", "every_request"): ("tab:brown", "--", "v"),
    ("lambda_durable", "wait_suspended"): ("tab:green", "-", "D"),
    ("lambda_durable", "wait_in_step"): ("tab:green", "--", "P"),
    ("microvms", "terminate_after_each"): ("tab:purple", "-", "X"),
    ("microvms", "suspend_when_idle"): ("tab:purple", "--", "*"),
    ("microvms", "stay_running"): ("tab:purple", ":", "h"),
    ("agentcore", "v1", "stop_after_each"): ("tab:blue", "-", "p"),
    ("agentcore", "v1", "idle_60"): ("tab:blue", "--", "<"),
    ("agentcore", "v1", "idle_default"): ("tab:blue", ":", ">"),
    ("agentcore_session_storage", "v1"): ("tab:blue", "-.", "d"),
    ("agentcore", "v2", "stop_after_each"): ("tab:orange", "-", "H"),
    ("agentcore", "v2", "idle_60"): ("tab:orange", "--", "8"),
    ("agentcore", "v2", "idle_default"): ("tab:orange", ":", "x"),
    ("agentcore_session_storage", "v2"): ("tab:orange", "-.", "+"),
}
WORKLOAD_COLOUR = "black"


def within_limits(result: dict[str, Any], path: tuple[str, ...]) -> bool:
    """Whether the home at `path` can run the workload of `result` at all (its lines end where it cannot)."""
    home = path[0]
    if home in ("lambda", "lambda_tenant_isolation"):
        return not result["limits"]["lambda"]["request_s"]["hit"]
    if home == "lambda_durable":
        return (
            not result["counted"]["lambda_durable"][path[1]]["longest_invocation_s"] > LAMBDA_MAX_DURATION_S
        )
    if home == "microvms":
        held = result["counted"]["microvms"][path[1]]["held_s_per_microvm"]
        return bool(held <= result["limits_new_homes"]["microvms"]["lifetime_s"]["limit"])
    return not result["limits"]["agentcore_microvm"]["session_s"]["hit"]


def _line(results: list[dict[str, Any]], path: tuple[str, ...]) -> list[float]:
    return [pick(r, path) if within_limits(r, path) else math.nan for r in results]


def _mean_wait_s(workload: Workload) -> float:
    return sum(r.wait_ms for r in workload.sample) / len(workload.sample) / 1000


def _curves(run: Run, variants: list[Workload]) -> list[dict[str, Any]]:
    return [compare(w, run.free_tier, homes=run.homes) for w in variants]


def _mark(axis: Any, x: float, label: str) -> None:
    axis.axvline(x, color=WORKLOAD_COLOUR, linewidth=1.4, linestyle=(0, (1, 1)), label=label)
    axis.annotate(
        label,
        xy=(x, 1),
        xycoords=("data", "axes fraction"),
        xytext=(4, -4),
        textcoords="offset points",
        va="top",
        fontsize=8,
        rotation=90,
    )


def draw(run: Run) -> Figure:
    """Return the figure for `run`: two panels, one legend in the table's words, this workload marked."""
    workload = run.workload
    base = compare(workload, run.free_tier, homes=run.homes)
    shown = series(run, base)
    by_wait = _curves(run, [with_wait_ms(workload, s * 1000) for s in WAITS_S])
    by_session = _curves(run, [with_requests_per_session(workload, n) for n in PER_SESSION])
    figure_, (wait_axis, session_axis) = plt.subplots(1, 2, figsize=(14, 9), sharey=True)
    for path, label in shown:
        colour, style, marker = STYLES[path]
        look = {"color": colour, "linestyle": style, "marker": marker, "markersize": 5, "label": label}
        wait_axis.plot(WAITS_S, _line(by_wait, path), markevery=3, **look)
        session_axis.plot(PER_SESSION, _line(by_session, path), **look)
    wait = _mean_wait_s(workload)
    at = max(wait, WAITS_S[0])
    _mark(
        wait_axis,
        at,
        f"this workload: {figure(wait)} s waiting" + ("" if wait >= WAITS_S[0] else f" (drawn at {at} s)"),
    )
    per = workload.requests_per_session
    _mark(session_axis, per, f"this workload: {per} request{'' if per == 1 else 's'} per session")
    plain = FuncFormatter(lambda value, _: figure(value))
    for axis in (wait_axis, session_axis):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.xaxis.set_major_formatter(plain)
        axis.yaxis.set_major_formatter(plain)
        axis.grid(True, which="both", alpha=0.3)
        axis.tick_params(labelsize=9)
    wait_axis.set_ylabel("USD a month (list prices, log scale)")
    wait_axis.set_xlabel("seconds each request waits (log scale; its CPU time unchanged)")
    wait_axis.set_title("Against the time each request waits (a line ends at its home's limit)", fontsize=11)
    session_axis.set_xticks(PER_SESSION)
    session_axis.set_xlabel("requests per session: AgentCore sessions and MicroVMs (log scale)")
    session_axis.set_title("Against requests per session", fontsize=11)
    session_axis.yaxis.set_tick_params(labelleft=True)
    prices = load_prices()
    figure_.suptitle(
        "Monthly list price of one workload on every AWS home that publishes its rates "
        f"({prices['region']}, read {prices['read_on']})",
        fontsize=13,
    )
    figure_.text(0.5, 0.935, "\n".join(textwrap.wrap(run.describe, 160)), ha="center", fontsize=8)
    handles, labels = wait_axis.get_legend_handles_labels()
    extra, extra_labels = session_axis.get_legend_handles_labels()
    figure_.legend(
        handles + extra[-1:],
        labels + extra_labels[-1:],
        loc="lower center",
        ncol=2,
        fontsize=8,
        frameon=False,
    )
    figure_.subplots_adjust(left=0.07, right=0.98, top=0.88, bottom=0.3, wspace=0.12)
    return figure_


def write_plot(run: Run, path: Path) -> None:
    """Write the PNG for `run` to `path` (parent folders are created)."""
    figure_ = draw(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    # No "Software" metadata: the same inputs give the same bytes on the same matplotlib and fonts.
    figure_.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(figure_)
