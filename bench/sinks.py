"""Section 3: steps 2-4 per-invocation latency against a floor: a bare app doing the raw boto3 write.

The floor is a bare BedrockAgentCoreApp served the same way whose entrypoint makes the same boto3 call
(bench/bare_sink_app.py). The sum (bare round trip + the raw write timed from a client) is also shown:
it leaves out what doing I/O from inside a server's worker thread costs, which is not our code's.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from commands.steps import SINKS

from .context import Context
from .report import Section, Spread, Target
from .servers import BARE, BENCH, IMAGE, PAYLOAD, ROOT, App, Server, run_load

GOAL = 0.10
# step folder -> the boto3 service it writes to
SINK_STEPS = SINKS
# What the steps write, so the raw write moves the same bytes.
RECORD = {
    "operation": "sum",
    "input": {"a": 1, "b": 2},
    "result": 3,
    "timestamp": "2026-01-01T00:00:00.000Z",
    "source": "agentcore",
    "request_id": "00000000-0000-0000-0000-000000000000",
    "session_id": None,
}


def run(ctx: Context) -> Section:
    section = Section(
        "3. Steps 2-4 against moto's server: latency vs floor (a bare app making the raw boto3 write)",
        columns=[
            "step",
            "step p50 ms",
            "floor p50 ms (bare app + raw write)",
            "overhead",
            "bare p50 ms",
            "raw write p50 ms (client)",
            "step vs bare + raw write",
        ],
    )
    res = ctx.resources
    targets = {"sqs": res.queue_url, "s3": res.bucket, "dynamodb": res.table_name}
    steps = {name: App(name, ROOT / name) for name in SINK_STEPS}
    bare_p50: list[float] = []
    step_p50: dict[str, list[float]] = {n: [] for n in steps}
    raw_p50: dict[str, list[float]] = {n: [] for n in steps}
    floor_p50: dict[str, list[float]] = {n: [] for n in steps}
    n = ctx.sequential_count
    drain = {"mode": "drain_sqs", "queue_url": res.queue_url}
    with ExitStack() as stack:
        bare = stack.enter_context(Server(BARE, IMAGE))
        servers = {
            name: stack.enter_context(Server(app, IMAGE, env=ctx.step_env())) for name, app in steps.items()
        }
        floor_servers = {
            name: stack.enter_context(
                Server(
                    App(f"bare app + raw {service} write", BENCH, "bare_sink_app"),
                    IMAGE,
                    env={**ctx.step_env(), "BENCH_SINK_SERVICE": service},
                )
            )
            for name, service in SINK_STEPS.items()
        }
        seq = {"mode": "http_seq", "payload": PAYLOAD, "count": n}
        for r in range(ctx.rounds):
            # One load process per round. Each step and its floor are measured together, request by
            # request in turn (http_paired), so they see the same emulator state; the queue is emptied
            # before each SQS measurement.
            jobs: list[dict[str, Any]] = [{**seq, "port": bare.port}]
            for name, server in servers.items():
                service = SINK_STEPS[name]
                raw = {
                    "mode": "boto",
                    "service": service,
                    "target": targets[service],
                    "body": RECORD,
                    "count": n,
                }
                ports = [server.port, floor_servers[name].port]
                paired = {
                    "mode": "http_paired",
                    "payload": PAYLOAD,
                    "count": n,
                    "ports": ports if r % 2 == 0 else ports[::-1],
                }
                for job in (raw, paired):
                    if service == "sqs":
                        jobs.append(drain)
                    jobs.append(job)
            results = iter(run_load({"mode": "batch", "jobs": jobs, "aws_env": ctx.aws.env()}))
            for job in jobs:
                out = next(results)
                if job is drain:
                    continue
                if job["mode"] == "boto":
                    raw_p50[_step_of(job["service"])].append(out["p50_ms"])
                    continue
                measured = out if job["mode"] == "http_paired" else {str(job["port"]): out}
                for port, got in measured.items():
                    if got["statuses"] != {"200": got["count"]}:
                        raise RuntimeError(f"unexpected statuses {got['statuses']} from port {port}")
                    if int(port) == bare.port:
                        bare_p50.append(got["p50_ms"])
                    for name in steps:
                        if int(port) == servers[name].port:
                            step_p50[name].append(got["p50_ms"])
                        elif int(port) == floor_servers[name].port:
                            floor_p50[name].append(got["p50_ms"])
    for name in steps:
        sums = [b + w for b, w in zip(bare_p50, raw_p50[name], strict=True)]
        vs_sum = Spread.of([s / f - 1 for s, f in zip(step_p50[name], sums, strict=True)])
        overhead = Spread.of([s / f - 1 for s, f in zip(step_p50[name], floor_p50[name], strict=True)])
        section.rows.append(
            [
                name,
                Spread.of(step_p50[name]).fmt(2),
                Spread.of(floor_p50[name]).fmt(2),
                _pct(overhead),
                Spread.of(bare_p50).fmt(2),
                Spread.of(raw_p50[name]).fmt(2),
                _pct(vs_sum),
            ]
        )
        section.targets.append(
            Target(
                f"{name} overhead over its floor", _pct(overhead), f"<= {GOAL:.0%}", overhead.median <= GOAL
            )
        )
    section.notes.append(
        f"{ctx.rounds} rounds; per round and step, {n} sequential requests to the step and {n} to its floor, "
        "alternating request by request (after 10 warm-up calls each), from one separate load process per "
        "round; the raw write uses the steps' botocore Config (shared.aws) and writes the same record; the "
        "queue is emptied before each SQS measurement. The target is "
        "judged against the bare app making the same write from its entrypoint; the last column compares "
        "with bare round trip + raw write timed from a client, which omits the cost of a boto3 call made "
        "inside a server's worker thread (the bare app pays it as well)."
    )
    return section


def _step_of(service: str) -> str:
    return next(k for k, v in SINK_STEPS.items() if v == service)


def _pct(s: Spread) -> str:
    lo, hi = min(s.values), max(s.values)
    return f"{s.median:+.1%} ({lo:+.1%} to {hi:+.1%})"
