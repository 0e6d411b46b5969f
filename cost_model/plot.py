"""The cost model as a PNG: monthly cost against the share of time spent waiting and against session reuse."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display on CI or in a container
import matplotlib.pyplot as plt

from .model import (
    PATTERNS,
    Workload,
    agentcore_monthly,
    lambda_monthly,
    with_requests_per_session,
    with_wait_share,
)
from .run import Run

WAIT_SHARES = [i / 100 for i in range(0, 100, 2)] + [0.99]
PER_SESSION = [1, 2, 3, 5, 10, 20, 50, 100]
STYLE = {"stop_after_each": "-", "idle_60": "--", "idle_default": ":"}
COLOURS = {"v1": "tab:blue", "v2": "tab:orange", "x86_64": "tab:gray", "arm64": "tab:green"}


def _wait_share(workload: Workload) -> float:
    wall = sum(r.wall_ms for r in workload.sample)
    return 1 - sum(r.cpu_ms for r in workload.sample) / wall if wall else 0.0


def write_plot(run: Run, path: Path) -> None:
    """Write the two-panel PNG for `run` to `path` (parent folders are created)."""
    workload = run.workload
    figure, (by_wait, by_session) = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    for arch in ("x86_64", "arm64"):
        cost = lambda_monthly(workload, arch, run.free_tier)
        for axis in (by_wait, by_session):
            axis.axhline(cost, color=COLOURS[arch], linewidth=2, label=f"Lambda {arch}")
    for version in run.versions:
        for name, idle in PATTERNS.items():
            label = f"AgentCore {version.upper()}, {name}"
            waits = [agentcore_monthly(with_wait_share(workload, s), version, idle) for s in WAIT_SHARES]
            by_wait.plot(
                [100 * s for s in WAIT_SHARES], waits, STYLE[name], color=COLOURS[version], label=label
            )
            reused = [
                agentcore_monthly(with_requests_per_session(workload, n), version, idle) for n in PER_SESSION
            ]
            by_session.plot(PER_SESSION, reused, STYLE[name], color=COLOURS[version], marker=".", label=label)
    by_wait.axvline(100 * _wait_share(workload), color="black", linewidth=0.8)
    by_wait.set_xlabel("share of each request spent waiting (%), same wall time")
    by_wait.set_ylabel("USD a month (list prices)")
    by_wait.set_yscale("log")
    by_wait.set_title("Cost against the share of time spent waiting")
    by_session.axvline(workload.requests_per_session, color="black", linewidth=0.8)
    by_session.set_xscale("log")
    by_session.set_xticks(PER_SESSION, [str(n) for n in PER_SESSION])
    by_session.set_xlabel("requests per AgentCore session")
    by_session.set_title("Cost against requests per session")
    for axis in (by_wait, by_session):
        axis.grid(True, which="both", alpha=0.3)
    by_session.legend(fontsize=7, loc="upper right")
    figure.suptitle("\n".join(textwrap.wrap(run.describe, 170)), fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    # No "Software" metadata: the same inputs give the same bytes on the same matplotlib and fonts.
    figure.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(figure)
