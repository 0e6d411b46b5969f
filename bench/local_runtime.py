"""Section 7: the local AgentCore data plane's own cost per warm invocation, and a new session's cold start.

A warm invocation goes to a session whose process is up: the same step process is called directly
(POST /invocations on its port) and through the data plane (InvokeAgentRuntime's path and session
header), request by request in turn from one load process, so both share the machine's noise. The data
plane runs in this process, so its CPU per request is this process's CPU over the run. A cold start is
the first invocation of a new session id, timed by the caller, in both start modes: spawn (a fresh
interpreter, what a microVM's start resembles) and fork (from a pre-imported zygote: the tests' mode).
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import quote

from commands.worlds import step_runtime
from local_cloud.agentcore import AgentCoreLocal
from local_cloud.agentcore.wire import SESSION_HEADER

from .context import Context
from .report import Section, Spread, Target
from .servers import PAYLOAD, run_load

TITLE = "7. Local AgentCore data plane: cost per warm invocation vs the step called directly; cold starts"
STEPS = ("1_compute_without_model", "4_dynamodb_sink")
# The data plane may add this share of step 4's own round trip (a moto write) per warm invocation.
GOAL = 0.10


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _warm(ctx: Context, step: str, section: Section) -> None:
    env = ctx.step_env() if step != "1_compute_without_model" else {}
    spec = step_runtime(f"bench_{step}", step, env)
    session = f"bench-warm-{uuid.uuid4()}"
    direct: list[float] = []
    through: list[float] = []
    cpu_us: list[float] = []
    # moto runs in this process too: its CPU for step 4's writes would count as the data plane's.
    measure_cpu = not env
    with AgentCoreLocal([spec], stop_grace=2.0) as plane:
        status, _, _ = plane.invoke(spec.arn, PAYLOAD, session)
        if status != 200:
            raise RuntimeError(f"{step} answered {status} through the data plane")
        found = plane.pool.find(spec.arn, session)
        assert found is not None and found.process is not None
        step_port, plane_port = found.process.port, _port(plane.endpoint_url)
        load = {
            "mode": "http_paired",
            "ports": [step_port, plane_port],
            "paths": {str(plane_port): f"/runtimes/{quote(spec.arn, safe='')}/invocations"},
            "headers": {str(plane_port): {SESSION_HEADER: session}},
            "payload": PAYLOAD,
            "count": ctx.sequential_count,
        }
        for _ in range(ctx.rounds):
            cpu0 = time.process_time()
            res: dict[str, Any] = run_load(load)
            used = time.process_time() - cpu0
            for port in (step_port, plane_port):
                if res[str(port)]["statuses"] != {"200": ctx.sequential_count}:
                    raise RuntimeError(f"{step} answered {res[str(port)]['statuses']}")
            direct.append(res[str(step_port)]["p50_ms"])
            through.append(res[str(plane_port)]["p50_ms"])
            # Warm-up calls included: the data plane served count + 10 requests in the run.
            cpu_us.append(used / (ctx.sequential_count + 10) * 1e6)
    added = Spread.of([(t - d) * 1000 for t, d in zip(through, direct, strict=True)])
    share = Spread.of([(t - d) / d for t, d in zip(through, direct, strict=True)])
    section.rows.append(
        [step, Spread.of(direct).fmt(2), Spread.of(through).fmt(2), added.fmt(0), share.fmt(2, "x"),
         Spread.of(cpu_us).fmt(0) if measure_cpu else "n/a (moto runs in this process)"]
    )  # fmt: skip
    if step == "4_dynamodb_sink":
        section.targets.append(
            Target(
                f"{step}: added p50 / the step's own p50",
                share.fmt(2, "x"),
                f"<= {GOAL}x",
                share.median <= GOAL,
            )
        )
    else:
        section.targets.append(
            Target(f"{step}: added µs per warm invocation", f"{added.median:.0f} µs", "reported", None)
        )


def _cold(ctx: Context, section: Section) -> None:
    spec = step_runtime("bench_cold_1_compute_without_model", "1_compute_without_model")
    rounds = 2 * ctx.rounds  # a start varies by tens of percent on a shared machine
    for mode in ("spawn", "fork"):
        caller: list[float] = []
        reported: list[float] = []
        with AgentCoreLocal([spec], start_mode=mode, stop_grace=2.0) as plane:
            for _ in range(rounds):
                session = f"bench-cold-{uuid.uuid4()}"
                t0 = time.perf_counter()
                status, _, _ = plane.invoke(spec.arn, PAYLOAD, session)
                caller.append(time.perf_counter() - t0)
                if status != 200:
                    raise RuntimeError(f"a new {mode} session answered {status}")
                view = plane.session(spec.arn, session)
                assert view is not None
                reported.append(view["cold_start_seconds"])
                plane.stop_session(spec.arn, session)
        section.notes.append(
            f"cold start ({mode}), first invocation of a new session of step 1 as the caller sees it: "
            f"{Spread.of(caller).fmt(3)} s; the data plane's cold_start_seconds (start to healthy /ping): "
            f"{Spread.of(reported).fmt(3)} s ({rounds} sessions)."
        )
        section.targets.append(
            Target(
                f"cold start, {mode} (step 1, caller)", f"{Spread.of(caller).median:.3f} s", "reported", None
            )
        )


def run(ctx: Context) -> Section:
    section = Section(
        TITLE,
        columns=["step", "direct p50 ms", "through the data plane p50 ms", "added µs", "added / direct",
                 "data plane CPU µs/request"],
    )  # fmt: skip
    for step in STEPS:
        _warm(ctx, step, section)
    _cold(ctx, section)
    section.notes.append(
        f"{ctx.rounds} rounds of {ctx.sequential_count} sequential requests per path (after 10 warm-up "
        "calls), alternating request by request from one load process (keep-alive connections); sessions "
        "in spawn mode, each step served as its Dockerfile serves it; step 4 writes to the embedded moto "
        "server. The data plane is Python's ThreadingHTTPServer and http.client (a thread per connection, "
        "headers parsed twice): its cost per call is a few hundred µs, whatever the step."
    )
    return section
