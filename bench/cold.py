"""Section 4: cold start per step (process start -> healthy /ping -> first success) vs the bare app."""

from __future__ import annotations

import subprocess
import sys
import time

from commands.steps import SINK_STEPS

from .context import Context
from .report import Section, Spread, Target
from .servers import BARE, IMAGE, ROOT, App, Server, step_apps

STEP1_GOAL = 1.1
SINK_GOAL = 0.10


def import_seconds(statement: str) -> float:
    """Wall time of a fresh interpreter running `statement`, minus an empty one (median of 3)."""

    def wall(code: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        return time.perf_counter() - t0

    return Spread.of([wall(statement) - wall("pass") for _ in range(3)]).median


def run(ctx: Context) -> Section:
    section = Section(
        "4. Cold start: process start -> healthy /ping -> first successful invocation",
        columns=["app", "to /ping s", "to first 200 s", "/ping vs bare", "first 200 vs bare"],
    )
    steps = step_apps()
    apps: list[App] = [BARE, *steps]
    ping: dict[str, list[float]] = {a.name: [] for a in apps}
    first: dict[str, list[float]] = {a.name: [] for a in apps}
    failures: dict[str, str] = {}
    serving_bare = IMAGE
    # A start takes half a second and varies by tens of percent on a shared machine: twice the rounds.
    rounds = 2 * ctx.rounds
    for r in range(rounds):
        for app in apps if r % 2 == 0 else apps[::-1]:
            serving = serving_bare if app is BARE else IMAGE
            env = ctx.step_env() if app.name in SINK_STEPS else {}
            server = Server(app, serving, env=env)
            try:
                server.start(first_invoke=True)
            except (RuntimeError, TimeoutError) as exc:
                # Step 0 needs a model to answer; its /ping is still measured every round.
                failures[app.name] = str(exc).splitlines()[0][:200]
                if server.ping_s == server.ping_s:
                    ping[app.name].append(server.ping_s)
            else:
                ping[app.name].append(server.ping_s)
                first[app.name].append(server.invoke_s)
            finally:
                server.stop()
    boto3_import = import_seconds("import boto3")
    sdk_import = import_seconds("import bedrock_agentcore.runtime")
    bare_ping, bare_first = ping[BARE.name], first[BARE.name]
    for app in apps:
        p, f = Spread.of(ping[app.name]), Spread.of(first[app.name])
        rp = Spread.of([a / b for a, b in zip(ping[app.name], bare_ping, strict=False)])
        rf = Spread.of([a / b for a, b in zip(first[app.name], bare_first, strict=False)])
        section.rows.append(
            [
                app.name,
                p.fmt(3),
                f.fmt(3) if f.values else "n/a",
                "1" if app is BARE else rp.fmt(2, "x"),
                "1" if app is BARE else rf.fmt(2, "x"),
            ]
        )
        if app.name == "1_compute_without_model":
            for label, ratio in (("/ping", rp), ("first 200", rf)):
                section.targets.append(
                    Target(
                        f"step 1 {label} vs bare",
                        ratio.fmt(2, "x"),
                        f"<= {STEP1_GOAL}x",
                        ratio.median <= STEP1_GOAL,
                    )
                )
        elif app.name in SINK_STEPS:
            for label, mine, bare in (("/ping", p, bare_ping), ("first 200", f, bare_first)):
                goal = (Spread.of(bare).median + boto3_import) * (1 + SINK_GOAL)
                section.targets.append(
                    Target(
                        f"{app.name} {label}",
                        f"{mine.median:.3f} s",
                        f"<= (bare + boto3 import) x 1.1 = {goal:.3f} s",
                        mine.median <= goal,
                    )
                )
        elif app.name.startswith("0_"):
            section.targets.append(Target("step 0 cold start", f"/ping {p.fmt(3)} s", "reported", None))
    if not any(a.name.startswith("0_") for a in steps):
        section.notes.append("step 0: skipped, no 0_* step folder in this tree yet (it joins automatically).")
    for name, why in failures.items():
        section.notes.append(f"{name}: no successful first invocation ({why})")
    section.notes.append(
        f"fresh-interpreter import times this run: boto3 {boto3_import:.3f} s, bedrock_agentcore.runtime "
        f"{sdk_import:.3f} s (the SDK imports boto3 itself, so the bare app already pays for it)."
    )
    section.notes.append(
        f"{rounds} starts per app, served by each Dockerfile's uvicorn command (without "
        "opentelemetry-instrument); steps 2-4 point at the embedded moto server, and their first "
        "invocation includes building the boto3 client and the first write."
    )
    return section
