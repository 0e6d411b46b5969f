"""Section 7b: the local Lambda MicroVMs plane beside the local AgentCore data plane.

- A MicroVM's start: RunMicrovm, CreateMicrovmAuthToken and the first answer through its endpoint (which
  holds the request until the MicroVM is RUNNING), its image built beforehand; in fork mode (from the
  image's pre-imported process, as a snapshot restores: the plane's default) and in spawn mode. Beside
  it, a new AgentCore session's first invocation in both modes.
- The first answer after a suspend: SuspendMicrovm, SUSPENDED, then a request that resumes it (SIGCONT
  and the answer). An AgentCore session has no suspend: after its idle timeout the next call is a start.
- A warm call through a MicroVM's endpoint vs the same MicroVM's app called directly, and through the
  AgentCore plane vs its session's process called directly: request by request in turn from one load
  process. The endpoint's own cost should stay small next to step 4's own round trip (a moto write).
"""

from __future__ import annotations

import http.client
import json
import time
import uuid
from typing import Any
from urllib.parse import quote

from commands.worlds import step_image, step_runtime
from local_cloud.agentcore import AgentCoreLocal
from local_cloud.agentcore.wire import SESSION_HEADER
from local_cloud.microvms import MicroVmsLocal

from .context import Context
from .report import Section, Spread, Target
from .servers import PAYLOAD, run_load

TITLE = (
    "7b. Local Lambda MicroVMs plane: a MicroVM's start, its first answer after a suspend, its endpoint's "
    "cost per warm call; the local AgentCore data plane's beside them"
)
STEPS = ("1_compute_without_model", "4_dynamodb_sink")
# The endpoint may add this share of step 4's own round trip (a moto write) per warm call.
GOAL = 0.10
TOKEN = {"expirationInMinutes": 60, "allowedPorts": [{"port": 8080}]}
PREFIX = "/2025-09-09/microvms"


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


class _Client:
    """One keep-alive connection to a plane or an endpoint: what a measured client holds (a new httpx client
    per call would time its own set-up, not the plane's)."""

    def __init__(self, address: str) -> None:
        host, port = address.removeprefix("http://").rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)

    def call(self, method: str, path: str, doc: Any = None, headers: dict[str, str] | None = None) -> Any:
        body = json.dumps(doc).encode() if doc is not None else b""
        self.conn.request(method, path, body, {"Content-Type": "application/json", **(headers or {})})
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path} answered {response.status}: {data[:300]!r}")
        return json.loads(data) if data else None

    def close(self) -> None:
        self.conn.close()


def _run(control: _Client, image_arn: str) -> tuple[str, str, dict[str, str]]:
    """RunMicrovm and a token: (id, endpoint, headers)."""
    run = control.call("POST", PREFIX, {"imageIdentifier": image_arn})
    granted = control.call("POST", f"{PREFIX}/{run['microvmId']}/auth-token", TOKEN)
    return run["microvmId"], run["endpoint"], dict(granted["authToken"])


def _starts(ctx: Context, section: Section) -> None:
    rounds = 2 * ctx.rounds  # a start varies by tens of percent on a shared machine
    image = step_image("bench_mvm_1_compute_without_model", "1_compute_without_model")
    runtime = step_runtime("bench_ac_cold_1_compute_without_model", "1_compute_without_model")
    for mode in ("fork", "spawn"):
        microvm: list[float] = []
        resumed: list[float] = []
        session: list[float] = []
        with MicroVmsLocal([image], start_mode=mode, stop_grace=2.0) as plane:
            plane.ready()
            control = _Client(plane.endpoint_url)
            for _ in range(rounds):
                t0 = time.perf_counter()
                mid, endpoint, headers = _run(control, image.arn)
                app = _Client(endpoint)
                app.call("POST", "/invocations", PAYLOAD, headers)
                microvm.append(time.perf_counter() - t0)
                control.call("POST", f"{PREFIX}/{mid}/suspend")
                plane.wait_state(mid, ["SUSPENDED"], timeout=30)
                # ResumeMicrovm, then the first answer (a request would resume it too, with autoResume).
                t0 = time.perf_counter()
                control.call("POST", f"{PREFIX}/{mid}/resume")
                app.call("POST", "/invocations", PAYLOAD, headers)
                resumed.append(time.perf_counter() - t0)
                app.close()
                control.call("DELETE", f"{PREFIX}/{mid}")
            control.close()
        with AgentCoreLocal([runtime], start_mode=mode, stop_grace=2.0) as agentcore:
            for _ in range(rounds):
                sid = f"bench-mvm-cold-{uuid.uuid4()}"
                t0 = time.perf_counter()
                status, _, _ = agentcore.invoke(runtime.arn, PAYLOAD, sid)
                session.append(time.perf_counter() - t0)
                if status != 200:
                    raise RuntimeError(f"a new {mode} session answered {status}")
                agentcore.stop_session(runtime.arn, sid)
        section.rows.append(
            [f"start to first answer, {mode} (s)", Spread.of(microvm).fmt(3), Spread.of(session).fmt(3)]
        )
        section.targets.append(
            Target(f"MicroVM start, {mode} (step 1)", f"{Spread.of(microvm).median:.3f} s", "reported", None)
        )
        if mode == "fork":
            section.rows.append(
                ["first answer after a suspend (ms)", Spread.of([r * 1000 for r in resumed]).fmt(1),
                 "no suspend: the next call after the idle timeout is a start (above)"]
            )  # fmt: skip
            section.targets.append(
                Target("MicroVM resume to first answer (step 1)",
                       f"{Spread.of(resumed).median * 1000:.1f} ms", "reported", None)
            )  # fmt: skip


def _warm(ctx: Context, step: str, section: Section) -> None:
    env = ctx.step_env() if step != "1_compute_without_model" else {}
    image = step_image(f"bench_mvm_{step}", step, env)
    runtime = step_runtime(f"bench_ac_{step}", step, env)
    session = f"bench-mvm-warm-{uuid.uuid4()}"
    columns: dict[str, list[float]] = {"mvm_direct": [], "mvm": [], "ac_direct": [], "ac": []}
    microvms, agentcore_plane = (
        MicroVmsLocal([image], stop_grace=2.0),
        AgentCoreLocal([runtime], stop_grace=2.0),
    )
    with microvms as plane, agentcore_plane as agentcore:
        plane.ready()
        control = _Client(plane.endpoint_url)
        mid, endpoint, headers = _run(control, image.arn)
        _Client(endpoint).call("POST", "/invocations", PAYLOAD, headers)
        control.close()
        vm = plane.pool.find(mid)
        status, _, _ = agentcore.invoke(runtime.arn, PAYLOAD, session)
        found = agentcore.pool.find(runtime.arn, session)
        assert vm is not None and vm.process is not None and found is not None and found.process is not None
        if status != 200:
            raise RuntimeError(f"{step} answered {status} through the AgentCore plane")
        ports = {
            "mvm_direct": vm.process.port,
            "mvm": int(endpoint.rsplit(":", 1)[1]),
            "ac_direct": found.process.port,
            "ac": _port(agentcore.endpoint_url),
        }
        load: dict[str, Any] = {
            "mode": "http_paired",
            "ports": list(ports.values()),
            "paths": {str(ports["ac"]): f"/runtimes/{quote(runtime.arn, safe='')}/invocations"},
            "headers": {str(ports["mvm"]): headers, str(ports["ac"]): {SESSION_HEADER: session}},
            "payload": PAYLOAD,
            "count": ctx.sequential_count,
        }
        for _ in range(ctx.rounds):
            measured: dict[str, Any] = run_load(dict(load))
            for name, port in ports.items():
                if measured[str(port)]["statuses"] != {"200": ctx.sequential_count}:
                    raise RuntimeError(f"{step} {name} answered {measured[str(port)]['statuses']}")
                columns[name].append(measured[str(port)]["p50_ms"])
    mvm_added = [t - d for t, d in zip(columns["mvm"], columns["mvm_direct"], strict=True)]
    ac_added = [t - d for t, d in zip(columns["ac"], columns["ac_direct"], strict=True)]
    mvm_share = Spread.of([a / d for a, d in zip(mvm_added, columns["mvm_direct"], strict=True)])
    ac_share = Spread.of([a / d for a, d in zip(ac_added, columns["ac_direct"], strict=True)])
    cells = [
        f"{Spread.of(columns[direct]).median:.2f} / +{Spread.of(added).fmt(2)} / {share.fmt(2, 'x')}"
        for direct, added, share in (("mvm_direct", mvm_added, mvm_share), ("ac_direct", ac_added, ac_share))
    ]
    section.rows.append([f"{step}: warm call, direct p50 / added p50 (ms) / added / direct", *cells])
    if step == "4_dynamodb_sink":
        section.targets.append(
            Target(f"{step}: MicroVM endpoint's added p50 / the step's own p50", mvm_share.fmt(2, "x"),
                   f"<= {GOAL}x", mvm_share.median <= GOAL)
        )  # fmt: skip
    else:
        section.targets.append(
            Target(f"{step}: MicroVM endpoint's added µs per warm call",
                   f"{Spread.of(mvm_added).median * 1000:.0f} µs", "reported", None)
        )  # fmt: skip


def run(ctx: Context) -> Section:
    section = Section(TITLE, columns=["what", "Lambda MicroVMs plane", "AgentCore data plane"])
    _starts(ctx, section)
    for step in STEPS:
        _warm(ctx, step, section)
    section.notes.append(
        f"Starts: {2 * ctx.rounds} MicroVMs (RunMicrovm, CreateMicrovmAuthToken, then POST /invocations "
        "through the endpoint, which holds it until RUNNING; the image's zygote imported beforehand, as an "
        "image is built before its first run) and as many new AgentCore sessions (InvokeAgentRuntime), "
        "step 1, per start mode. Resume: ResumeMicrovm, then the first answer. Warm calls: "
        f"{ctx.rounds} rounds of {ctx.sequential_count} sequential requests per path, after 10 warm-up "
        "calls, alternating request by request from one load process over keep-alive connections; step 4 "
        "writes to the embedded moto server. Both planes are Python's ThreadingHTTPServer and http.client in "
        "this process."
    )
    return section
