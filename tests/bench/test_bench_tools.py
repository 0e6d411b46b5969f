"""The benchmark's own tools: CPU pinning, and the in-process driver that callgrind counts."""

import os
import subprocess
import sys

import pytest

from bench.instructions import APPS
from bench.pin import cpu_split, prefix
from tests.helpers import ROOT


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="CPU affinity is Linux-only")
def test_pin_runs_the_command_on_the_given_cpus_only() -> None:
    cpu = min(os.sched_getaffinity(0))
    probe = "import os; print(sorted(os.sched_getaffinity(0)))"
    out = subprocess.run(
        [*prefix(frozenset({cpu})), sys.executable, "-c", probe],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == str([cpu])


def test_cpu_split_gives_the_server_one_cpu_and_the_load_the_rest() -> None:
    split = cpu_split()
    if split is None:
        assert not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2
        return
    server, load = split
    assert len(server) == 1 and load and not server & load
    assert server | load == frozenset(os.sched_getaffinity(0))
    assert prefix(None) == []


@pytest.mark.parametrize("name", sorted(APPS))
def test_the_in_process_driver_gets_200s_from_each_app(name: str) -> None:
    # What callgrind counts must be successful invocations, not errors.
    done = subprocess.run(
        [sys.executable, "-m", "bench.instructions", str(APPS[name]), "5"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_local_data_plane_section_measures_both_paths_and_cold_starts() -> None:
    from bench import local_runtime
    from bench.context import Context

    ctx = Context(rounds=1, sequential_count=5)
    try:
        section = local_runtime.run(ctx)
    finally:
        ctx.close()

    assert [row[0] for row in section.rows] == list(local_runtime.STEPS)
    for row in section.rows:
        # Timings only (no order between them: five requests on a shared machine prove nothing).
        assert float(row[1].split()[0]) > 0 and float(row[2].split()[0]) > 0
    assert {t.what for t in section.targets} >= {
        "cold start, spawn (step 1, caller)",
        "cold start, fork (step 1, caller)",
    }
