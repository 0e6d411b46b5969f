"""Section 1: step 1 warm invocations over HTTP against a bare BedrockAgentCoreApp served the same way."""

from __future__ import annotations

import math

from .context import Context
from .report import Section, Spread, Target, ratio_spread
from .servers import BARE, IMAGE, PAYLOAD, ROOT, App, Server, run_load

STEP1 = App("1_compute_without_model", ROOT / "1_compute_without_model")
CONCURRENCY = (1, 16)
GOAL = 0.95


def run(ctx: Context) -> Section:
    serving = IMAGE
    section = Section(
        f"1. Step 1 warm invocations vs a bare BedrockAgentCoreApp (both: {serving.name})",
        columns=[
            "concurrency",
            "app",
            "requests/s",
            "p50 ms",
            "p99 ms",
            "server CPU µs/request",
            "vs bare (req/s)",
            "vs bare (CPU/request)",
        ],
    )
    rps: dict[tuple[str, int], list[float]] = {}
    p50: dict[tuple[str, int], list[float]] = {}
    p99: dict[tuple[str, int], list[float]] = {}
    cpu: dict[tuple[str, int], list[float]] = {}
    step = Server(STEP1, serving, cpus=ctx.server_cpus)
    bare = Server(BARE, serving, cpus=ctx.server_cpus)
    with step, bare:
        for r in range(ctx.rounds):
            for c in CONCURRENCY:
                # Alternate who goes first so a drift in the machine's load favours neither.
                order = [("step 1", step), ("bare", bare)]
                for name, server in order if r % 2 == 0 else order[::-1]:
                    before = server.cpu_seconds()
                    res = run_load(ctx.load_spec(server.port, PAYLOAD, c), cpus=ctx.load_cpus)
                    used = server.cpu_seconds() - before
                    if res["statuses"] != {"200": res["count"]} or res["errors"]:
                        raise RuntimeError(f"{name} answered {res['statuses']}, {res['errors']} errors")
                    rps.setdefault((name, c), []).append(res["rps"])
                    p50.setdefault((name, c), []).append(res["p50_ms"])
                    p99.setdefault((name, c), []).append(res["p99_ms"])
                    if not math.isnan(used):
                        cpu.setdefault((name, c), []).append(used / res["answered"] * 1e6)
    for c in CONCURRENCY:
        ratio = ratio_spread(rps[("step 1", c)], rps[("bare", c)])
        cpu_ratio = ratio_spread(cpu.get(("step 1", c), []), cpu.get(("bare", c), []))
        for name in ("step 1", "bare"):
            first = name == "step 1"
            section.rows.append(
                [
                    str(c),
                    name,
                    Spread.of(rps[(name, c)]).fmt(0),
                    Spread.of(p50[(name, c)]).fmt(2),
                    Spread.of(p99[(name, c)]).fmt(2),
                    Spread.of(cpu.get((name, c), [])).fmt(0),
                    ratio.fmt(2, "x") if first else "1",
                    cpu_ratio.fmt(2, "x") if first else "1",
                ]
            )
        section.targets.append(
            Target(f"step 1 / bare at {c} concurrent", ratio.fmt(2, "x"), f">= {GOAL}x", ratio.median >= GOAL)
        )
    section.notes.append(
        f"{ctx.rounds} rounds of {ctx.duration} s (after {ctx.warmup} s warm-up) per app and concurrency, "
        f"the two apps alternating; load from a separate process (asyncio keep-alive connections); "
        f"{ctx.placement()}."
    )
    section.notes.append(
        "server CPU µs/request: the server process's user+system CPU time (/proc) over a load run, divided "
        "by the requests it answered in that run; it does not depend on how busy the load generator is."
    )
    return section
