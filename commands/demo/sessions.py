"""`make demo`, sessions side by side: the session counter (on_lambda/microvm) as an AgentCore runtime
session with session storage and as a Lambda MicroVM, through the same sequence: a first call, idle, a
call, StopRuntimeSession or SuspendMicrovm, a call. Each row says what the session kept (memory, files,
pid), how long the call took, and the last row of each home what it used and would cost.

Durations are the services' divided by 60: the MicroVM's idle policy is 60 s (its minimum) on a plane with
`--time-scale 60`, the AgentCore runtime's idle timeout 1 s (its minimum is 60 s). The AgentCore sessions
start as fresh processes (spawn, the data plane's default), the MicroVM forks from its image's pre-imported
process (as it resumes from a snapshot): the times are this machine's, not the services'.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from cost_model.measured import AgentCoreSession, MicroVmUsage
from local_cloud import http
from local_cloud.agentcore import AgentCoreLocal
from local_cloud.microvms import MicroVmsLocal

from ..steps import ROOT
from ..worlds import step_image, step_runtime
from .rows import Row, Usage

__all__ = ["run_sessions_demo"]

COUNTER = ROOT / "on_lambda" / "microvm"
SCALE = 60
MOUNT = "/mnt/data"
PAYLOAD = {"prompt": {"a": 1, "b": 2}}
WAIT = 15.0


def _row(home: str, before: str, call: Callable[[], tuple[int, Any]], pid: int | None,
         expected: tuple[int, int], same_pid: bool) -> tuple[Row, dict[str, Any]]:  # fmt: skip
    """Time one call; the row says what it kept and whether that is what this home keeps."""
    started = time.perf_counter()
    status, body = call()
    took = time.perf_counter() - started
    answer: dict[str, Any] = body or {}
    first = pid if pid is not None else answer.get("pid")
    kept = "same pid" if answer.get("pid") == first else f"new pid {answer.get('pid')}"
    ok = (
        status == 200
        and (answer.get("calls_in_memory"), answer.get("calls_in_file")) == expected
        and (answer.get("pid") == first) == same_pid
    )
    landed = f"memory {answer.get('calls_in_memory')} calls, file {answer.get('calls_in_file')} calls, {kept}"
    return Row(home, before, f"{status} in {took:.3f} s", landed, ok), answer


def _agentcore_rows(measured: Usage) -> list[Row]:
    home = "sessions: AgentCore session"
    spec = step_runtime("session_counter", COUNTER, session_storage=MOUNT)
    session = f"demo-counter-{uuid.uuid4()}"
    with AgentCoreLocal([spec], idle_timeout=60 / SCALE, stop_grace=2.0) as plane:

        def call() -> tuple[int, Any]:
            status, _, body = plane.invoke(spec.arn, PAYLOAD, session)
            return status, body

        first, answer = _row(home, "first call", call, None, (1, 1), True)
        pids = [answer.get("pid")]
        ended = plane.wait_ended(spec.arn, session, timeout=WAIT)["ended_reason"]
        second, answer = _row(home, f"after idle (session ended: {ended})", call, pids[0], (1, 2), False)
        plane.stop_session(spec.arn, session)
        plane.wait_ended(spec.arn, session, timeout=WAIT)
        third, _ = _row(home, "after StopRuntimeSession", call, pids[0], (1, 3), False)
        plane.stop_session(spec.arn, session)
        plane.wait_ended(spec.arn, session, timeout=WAIT)
        usage = [v["usage"] for v in plane.sessions() if v["session_id"] == session]
    measured.agentcore += [
        AgentCoreSession(u["session_seconds"], u["cpu_seconds"], u["peak_rss_mb"]) for u in usage
    ]
    seconds, cpu = sum(u["session_seconds"] for u in usage), sum(u["cpu_seconds"] for u in usage)
    peak = max(u["peak_rss_mb"] for u in usage)
    v1, v2 = (sum(u["cost_usd"][version] for u in usage) for version in ("v1", "v2"))
    landed = (
        f"{len(usage)} processes, {seconds:.1f} s of sessions, CPU {cpu:.2f} s, peak {peak:.0f} MB: "
        f"V1 ${v1:.8f}, V2 ${v2:.8f} (memory billed while idle, until each session ended)"
    )
    usage_row = Row(home, "usage", "a process per session; files in session storage", landed, len(usage) == 3)
    return [first, second, third, usage_row]


def _microvm_rows(measured: Usage) -> list[Row]:
    home = "sessions: Lambda MicroVM"
    image = step_image("counter", COUNTER)
    with MicroVmsLocal([image], time_scale=SCALE, stop_grace=2.0) as plane:
        plane.ready()  # the image built before its first MicroVM, as on AWS
        base = f"{plane.endpoint_url}/2025-09-09/microvms"
        policy = {"maxIdleDurationSeconds": 60, "suspendedDurationSeconds": 3600, "autoResumeEnabled": True}
        _, _, run = http.call(base, {"imageIdentifier": image.arn, "idlePolicy": policy})
        mid = run["microvmId"]
        grant = {"expirationInMinutes": 60, "allowedPorts": [{"port": 8080}]}
        token = http.call(f"{base}/{mid}/auth-token", grant)[2]["authToken"]

        def call() -> tuple[int, Any]:
            status, _, body = http.call(f"http://{run['endpoint']}/invocations", PAYLOAD, token)
            return status, body

        first, answer = _row(home, "first call (RunMicrovm, then its endpoint)", call, None, (1, 1), True)
        pid = answer.get("pid")
        reason = plane.wait_state(mid, ["SUSPENDED"], timeout=WAIT)["state_reason"]
        second, _ = _row(home, f"after idle (SUSPENDED: {reason}), auto-resumed", call, pid, (2, 2), True)
        http.call(f"{base}/{mid}/suspend")
        plane.wait_state(mid, ["SUSPENDED"], timeout=WAIT)
        third, _ = _row(home, "after SuspendMicrovm, auto-resumed", call, pid, (3, 3), True)
        http.call(f"{base}/{mid}", method="DELETE")
        view = plane.wait_state(mid, ["TERMINATED"], timeout=WAIT)
    landed = (
        f"1 process, running {view['running_seconds']:.1f} s, suspended {view['suspended_seconds']:.1f} s, "
        f"CPU {view['cpu_seconds']:.2f} s, peak {view['peak_rss_mb']:.0f} MB: ${view['cost_usd']:.8f} "
        f"({view['memory_gb']:g} GB baseline while running; {view['suspends']} snapshots written, "
        f"{1 + view['resumes']} read)"
    )
    measured.microvms.append(
        MicroVmUsage(
            view["running_seconds"],
            view["suspended_seconds"],
            view["memory_gb"],
            view["suspends"],
            1 + view["resumes"],
        )
    )
    kept = "one process, stopped while suspended (memory and disk kept)"
    usage_row = Row(home, "usage", kept, landed, view["suspends"] == view["resumes"] == 2)
    return [first, second, third, usage_row]


def run_sessions_demo(usage: Usage | None = None) -> list[Row]:
    """The session counter on both homes, call by call: what each kept, how long, what it cost."""
    measured = usage if usage is not None else Usage()
    return _agentcore_rows(measured) + _microvm_rows(measured)
