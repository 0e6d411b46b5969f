"""Section 2b: one way to serve, whatever the deployment type: `python agent.py` on both deploy paths.

The images run `python agent.py` (Dockerfile CMD, LOG_LEVEL set by nobody) and direct code deploy runs
the same file as its entry point, so both go through shared.agentcore.serving. Before, direct code
deploy ran the SDK's `app.run()` defaults while the images ran uvicorn's CLI with our options: both are
measured here.
"""

from __future__ import annotations

from contextlib import ExitStack

from .context import Context
from .report import Section, Spread, Target, ratio_spread
from .servers import SDK_DEFAULTS, Server, Serving, post
from .serving import alternate_load
from .warm import STEP1

CONCURRENCY = 16
GOAL_VS_SDK = 1.3
GOAL_VS_CLI = 0.95
SDK_LINE = "Invocation completed successfully"
MAIN = Serving("python agent.py (image CMD and direct code deploy; LOG_LEVEL unset)", "main", log_level="")
CLI = Serving("uvicorn CLI with the same options (the images' CMD before)", "uvicorn")
VARIANTS = [MAIN, CLI, SDK_DEFAULTS]


def run(ctx: Context) -> Section:
    section = Section(
        f"2b. One way to serve: python agent.py on both deploy paths ({CONCURRENCY} concurrent)",
        columns=["serving", "requests/s", "p50 ms", "p99 ms", "vs SDK defaults"],
    )
    answers: dict[str, object] = {}
    with ExitStack() as stack:
        servers = [stack.enter_context(Server(STEP1, v, cpus=ctx.server_cpus)) for v in VARIANTS]
        for server in servers:
            answers[server.serving.name] = post(server.port, {"prompt": {"a": 0.1, "b": 0.2}})
        rps, p50, p99 = alternate_load(ctx, servers, CONCURRENCY)
        main_log = servers[0].log_path
        assert main_log is not None
        quiet = SDK_LINE not in main_log.read_text(errors="replace")
    base = rps[SDK_DEFAULTS.name]
    for v in VARIANTS:
        section.rows.append(
            [
                v.name,
                Spread.of(rps[v.name]).fmt(0),
                Spread.of(p50[v.name]).fmt(2),
                Spread.of(p99[v.name]).fmt(2),
                ratio_spread(rps[v.name], base).fmt(2, "x"),
            ]
        )
    vs_sdk = ratio_spread(rps[MAIN.name], base)
    vs_cli = ratio_spread(rps[MAIN.name], rps[CLI.name])
    section.targets.append(
        Target(
            "python agent.py / SDK defaults",
            vs_sdk.fmt(2, "x"),
            f">= {GOAL_VS_SDK}x",
            vs_sdk.median >= GOAL_VS_SDK,
        )
    )
    section.targets.append(
        Target(
            "python agent.py / uvicorn CLI, same options",
            vs_cli.fmt(2, "x"),
            f">= {GOAL_VS_CLI}x",
            vs_cli.median >= GOAL_VS_CLI,
        )
    )
    same = len({repr(a) for a in answers.values()}) == 1 and answers[MAIN.name] == (200, {"result": 0.3})
    section.notes.append(
        f"every variant answered 0.1 + 0.2 with 200 {{'result': 0.3}}: {'yes' if same else answers}"
    )
    section.notes.append(
        "python agent.py with LOG_LEVEL unset (direct code deploy sets none) wrote no per-request INFO line: "
        + ("yes" if quiet else "NO")
    )
    section.notes.append(
        f"{ctx.rounds} rounds of {ctx.duration} s per variant, variants alternating; {ctx.placement()}."
    )
    return section
