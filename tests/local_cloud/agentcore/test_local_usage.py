"""Usage figures: measured from the session's process (wait4 once ended, /proc while it runs) and priced
with cost_model on hand-computed cases."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest

from commands.worlds import step_runtime
from local_cloud.agentcore import AgentCoreLocal
from local_cloud.agentcore.usage import usage_view
from local_cloud.processes.usage import Measured, from_rusage, live
from tests.helpers import agentcore_client

V1_CPU, V1_GB = 0.0895, 0.00945
V2_CPU, V2_GB = 0.1276, 0.0169


@pytest.mark.parametrize(
    ("seconds", "cpu", "peak", "v1", "v2"),
    [
        # 10.2 s billed as 11 s; 300 MB peak; 1.5 CPU-seconds.
        (10.2, 1.5, 300.0, 1.5 * V1_CPU / 3600 + 11 * 300 / 1024 * V1_GB / 3600,
         1.5 * V2_CPU / 3600 + 11 * 300 / 1024 * V2_GB / 3600),
        # A 0.3 s session with 50 MB: billed for 1 s at the 128 MB minimum.
        (0.3, 0.2, 50.0, 0.2 * V1_CPU / 3600 + 1 * 0.125 * V1_GB / 3600,
         0.2 * V2_CPU / 3600 + 1 * 0.125 * V2_GB / 3600),
        # An idle hour at 1 GB: memory only.
        (3600.0, 0.0, 1024.0, V1_GB, V2_GB),
    ],
)  # fmt: skip
def test_usage_is_priced_as_computed_by_hand(
    seconds: float, cpu: float, peak: float, v1: float, v2: float
) -> None:
    view = usage_view(seconds, Measured(cpu, peak))

    assert view["cost_usd"]["v1"] == pytest.approx(v1, rel=1e-12)
    assert view["cost_usd"]["v2"] == pytest.approx(v2, rel=1e-12)
    assert (view["session_seconds"], view["cpu_seconds"], view["peak_rss_mb"]) == (seconds, cpu, peak)


def test_inherited_cpu_is_counted_and_shown() -> None:
    view = usage_view(2.0, Measured(0.1, 64.0), inherited_cpu=0.4)

    assert (view["cpu_seconds"], view["inherited_cpu_seconds"]) == (0.5, 0.4)
    assert view["cost_usd"]["v1"] == pytest.approx(0.5 * V1_CPU / 3600 + 2 * 0.125 * V1_GB / 3600)


def test_rusage_of_a_child_is_what_wait4_reports() -> None:
    burn = (
        "import time\nt=time.process_time()\nx=bytearray(80*1024*1024)\nwhile time.process_time()-t<0.3: pass"
    )
    child = subprocess.Popen([sys.executable, "-c", burn])
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)

    measured = from_rusage(usage.ru_utime, usage.ru_stime, usage.ru_maxrss)

    assert measured.cpu_seconds >= 0.3
    # No upper bound: Linux counts the RSS the child had before exec (a copy of this test process's) too,
    # which is why sessions started with exec take their peak from VmHWM (next tests).
    assert measured.peak_rss_mb >= 80


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="/proc (Linux) reading")
def test_a_live_process_is_read_from_proc() -> None:
    burn = "import time\nt=time.process_time()\nx=bytearray(60*1024*1024)\nwhile time.process_time()-t<0.3: pass\ntime.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", burn])
    try:
        deadline = time.monotonic() + 20
        while (now := live(child.pid)) is not None and now.cpu_seconds < 0.3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert now is not None and now.cpu_seconds >= 0.29 and 60 <= now.peak_rss_mb < 200
    finally:
        child.kill()
        child.wait()
    assert live(child.pid) is None


def test_a_session_reports_what_its_process_used() -> None:
    spec = step_runtime(f"step1_usage_{uuid.uuid4().hex[:6]}", "1_compute_without_model")
    session = f"usage-{uuid.uuid4()}"
    with AgentCoreLocal([spec], stop_grace=1.0) as plane:
        agentcore_client(plane.endpoint_url).invoke_agent_runtime(
            agentRuntimeArn=spec.arn, runtimeSessionId=session, payload=b'{"prompt": {"a": 1, "b": 2}}'
        )["response"].read()
        running = plane.session(spec.arn, session)
        plane.stop_session(spec.arn, session)
        ended = plane.wait_ended(spec.arn, session, timeout=10)

    assert running is not None and running["usage"]["cpu_seconds"] > 0.05  # a fresh interpreter's imports
    usage = ended["usage"]
    assert usage["cpu_seconds"] >= running["usage"]["cpu_seconds"]
    # The session's own image: not the ~400 MB of this pytest process its child was forked from.
    assert 10 < usage["peak_rss_mb"] < 200
    assert usage["session_seconds"] >= ended["ended_at"] - ended["started_at"] - 0.01
    expected = usage_view(usage["session_seconds"], Measured(usage["cpu_seconds"], usage["peak_rss_mb"]))
    # Priced from the unrounded figures; the view shows them rounded (ms, 0.1 MB).
    assert usage["cost_usd"] == pytest.approx(expected["cost_usd"], rel=1e-2)
