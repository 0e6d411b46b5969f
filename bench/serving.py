"""Section 2: how the Dockerfiles serve step 1 against the SDK's defaults, and what each knob is worth."""

from __future__ import annotations

from contextlib import ExitStack

from .context import Context
from .report import Section, Spread, Target, ratio_spread
from .servers import IMAGE, PAYLOAD, SDK_DEFAULTS, Server, Serving, post, run_load
from .warm import STEP1

CONCURRENCY = 16
GOAL = 1.3
UVLOOP = ("--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning")
VARIANTS = [
    SDK_DEFAULTS,
    Serving("app.run(), asyncio+h11, LOG_LEVEL=WARNING", "sdk-run", log_level="WARNING"),
    Serving("uvicorn uvloop+httptools, LOG_LEVEL=INFO", "uvicorn", uvicorn_args=UVLOOP, log_level="INFO"),
    Serving(
        "uvicorn uvloop+httptools, LOG_LEVEL=WARNING", "uvicorn", uvicorn_args=UVLOOP, log_level="WARNING"
    ),
]
SDK_LINE = "Invocation completed successfully"


def run(ctx: Context) -> Section:
    dockerfile = IMAGE
    section = Section(
        f"2. Serving step 1: Dockerfile CMD vs SDK defaults ({CONCURRENCY} concurrent)",
        columns=["serving", "requests/s", "p50 ms", "p99 ms", "vs SDK defaults"],
    )
    variants = list(VARIANTS)
    current = _same(variants, dockerfile)
    if current is None:
        variants.append(dockerfile)
        current = dockerfile.name
    bodies: dict[str, object] = {}
    logged: dict[str, bool] = {}
    with ExitStack() as stack:
        servers = [stack.enter_context(Server(STEP1, v, cpus=ctx.server_cpus)) for v in variants]
        for server in servers:
            status, body = post(server.port, {"prompt": {"a": "0.1", "b": 0.2}})
            if status != 400:
                raise RuntimeError(f"{server.serving.name}: a string operand got {status}")
            body["error"].pop("request_id", None)  # unique per request by design
            bodies[server.serving.name] = body
            status, body = post(server.port, {"prompt": {"a": 0.1, "b": 0.2}})
            if (status, body) != (200, {"result": 0.3}):
                raise RuntimeError(f"{server.serving.name}: 0.1 + 0.2 answered {status} {body}")
        rps, p50, p99 = alternate_load(ctx, servers, CONCURRENCY)
        for server in servers:
            assert server.log_path is not None
            logged[server.serving.name] = SDK_LINE in server.log_path.read_text(errors="replace")
    base = rps[SDK_DEFAULTS.name]
    for v in variants:
        ratio = ratio_spread(rps[v.name], base)
        mark = " (Dockerfile now)" if v.name == current else ""
        section.rows.append(
            [
                v.name + mark,
                Spread.of(rps[v.name]).fmt(0),
                Spread.of(p50[v.name]).fmt(2),
                Spread.of(p99[v.name]).fmt(2),
                ratio.fmt(2, "x"),
            ]
        )
    now = ratio_spread(rps[current], base)
    section.targets.append(
        Target(
            f"Dockerfile CMD ({dockerfile.name}) / SDK defaults",
            now.fmt(2, "x"),
            f">= {GOAL}x",
            now.median >= GOAL,
        )
    )
    best = max(variants, key=lambda v: Spread.of(rps[v.name]).median)
    section.notes.append(f"fastest variant this run: {best.name}")
    section.notes.append(
        f"{ctx.rounds} rounds of {ctx.duration} s per variant, variants alternating; {ctx.placement()}."
    )
    same = len({repr(b) for b in bodies.values()}) == 1
    section.notes.append(
        "every variant answered 0.1 + 0.2 with 0.3 and the same 400 envelope (request id aside) for a "
        "string operand: " + ("yes" if same else f"NO: {bodies}")
    )
    info_ok = all(logged[v.name] == (v.log_level == "INFO") for v in variants)
    section.notes.append(
        f"the SDK's per-request INFO line ('{SDK_LINE}') is written at LOG_LEVEL=INFO and not at WARNING: "
        + ("yes" if info_ok else f"NO: {logged}")
    )
    section.notes.append(
        "SDK defaults = `python agent.py` (app.run()) with only bedrock-agentcore installed: uvicorn's "
        "'auto' then means asyncio + h11. With httptools installed (our requirements.txt), app.run() "
        "would pick it up too. uvloop (+14 MB installed) is measured here but left out of the images: "
        "see section 5 for the footprint it costs."
    )
    return section


def alternate_load(
    ctx: Context, servers: list[Server], concurrency: int
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, list[float]]]:
    """Load every server once per round, in alternating order; return requests/s, p50 and p99 by name."""
    rps: dict[str, list[float]] = {s.serving.name: [] for s in servers}
    p50: dict[str, list[float]] = {s.serving.name: [] for s in servers}
    p99: dict[str, list[float]] = {s.serving.name: [] for s in servers}
    for r in range(ctx.rounds):
        for server in servers if r % 2 == 0 else servers[::-1]:
            res = run_load(ctx.load_spec(server.port, PAYLOAD, concurrency), cpus=ctx.load_cpus)
            if res["statuses"] != {"200": res["count"]} or res["errors"]:
                raise RuntimeError(f"{server.serving.name}: {res['statuses']}, {res['errors']} errors")
            rps[server.serving.name].append(res["rps"])
            p50[server.serving.name].append(res["p50_ms"])
            p99[server.serving.name].append(res["p99_ms"])
    return rps, p50, p99


def _same(variants: list[Serving], target: Serving) -> str | None:
    for v in variants:
        if v.how == "uvicorn" and v.uvicorn_args == target.uvicorn_args and v.log_level == target.log_level:
            return v.name
    return None
