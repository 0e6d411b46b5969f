"""Start an app the way a container would (`python agent.py`, uvicorn's CLI or the SDK's app.run()),
time its start-up."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from commands.stage import refresh_if_stale
from commands.steps import ROOT
from local_cloud.children import stop_process
from local_cloud.loopback import free_port
from shared.agentcore.serving import SERVED_LOG_LEVEL, UVICORN_ARGS

from .pin import prefix

BENCH = Path(__file__).resolve().parent
PAYLOAD = {"prompt": {"a": 1, "b": 2}}

# How the steps' images serve (`python agent.py` -> shared.agentcore.serving), as uvicorn CLI arguments,
# so the bare app is served the same way (without opentelemetry-instrument: ADOT is not in the dev
# environment, and it wraps the same process in the same way for every variant).
DOCKERFILE_UVICORN = UVICORN_ARGS


@dataclass(frozen=True)
class Serving:
    """How a server process is started: uvicorn's CLI with arguments, or the SDK's app.run()."""

    name: str
    how: str  # "uvicorn", "sdk-run" or "main" (`python <folder>/agent.py`, i.e. shared.agentcore.serving)
    uvicorn_args: tuple[str, ...] = DOCKERFILE_UVICORN
    log_level: str = "WARNING"  # "" leaves LOG_LEVEL unset, as direct code deploy does
    loop: str = "asyncio"  # for sdk-run
    http: str = "h11"  # for sdk-run


# How every step's image serves: its CMD runs `python agent.py`, which serves through
# shared.agentcore.serving; the bare apps' __main__ blocks serve the same way.
IMAGE = Serving("python agent.py (the images' CMD), LOG_LEVEL=WARNING", "main", log_level=SERVED_LOG_LEVEL)
# `pip install bedrock-agentcore` brings uvicorn without uvloop/httptools, so app.run() serves with
# asyncio + h11; and the SDK logs one INFO line per invocation.
SDK_DEFAULTS = Serving("SDK defaults: app.run(), asyncio+h11, INFO", "sdk-run", log_level="INFO")


@dataclass(frozen=True)
class App:
    """An ASGI app to serve: `module:app` importable from `folder`."""

    name: str
    folder: Path
    module: str = "agent"


BARE = App("bare BedrockAgentCoreApp", BENCH, "bare_app")


def step_apps() -> list[App]:
    """Every numbered step folder with an agent.py (0_..., 5_... join as they land)."""
    return [App(p.parent.name, p.parent) for p in sorted(ROOT.glob("[0-9]_*/agent.py"))]


def _get(port: int, path: str, timeout: float = 2.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def post(port: int, payload: Any, timeout: float = 30.0) -> tuple[int, Any]:
    """POST /invocations once; return (status, parsed body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/invocations", json.dumps(payload), {"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()


@dataclass
class Server:
    """One server process; `ping_s` and `invoke_s` are seconds from process start."""

    app: App
    serving: Serving
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    ping_s: float = float("nan")
    invoke_s: float = float("nan")
    log_path: Path | None = None
    cpus: frozenset[int] | None = None  # run the server on these CPUs only (see bench.pin)

    def command(self) -> list[str]:
        if self.serving.how == "main":
            return [*prefix(self.cpus), sys.executable, str(self.app.folder / f"{self.app.module}.py")]
        if self.serving.how == "sdk-run":
            return [
                *prefix(self.cpus),
                sys.executable,
                "-m",
                "bench.sdk_run",
                str(self.app.folder),
                self.app.module,
                str(self.port),
                self.serving.loop,
                self.serving.http,
            ]
        return [
            *prefix(self.cpus),
            sys.executable,
            "-m",
            "uvicorn",
            f"{self.app.module}:app",
            "--app-dir",
            str(self.app.folder),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *self.serving.uvicorn_args,
        ]

    def start(self, timeout: float = 30.0, first_invoke: bool = False) -> Server:
        """Start, wait for a Healthy /ping, optionally time the first successful invocation."""
        self.port = self.port or free_port()
        refresh_if_stale(self.app.folder)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(self.env)
        env.pop("LOG_LEVEL", None)
        if self.serving.log_level:
            env["LOG_LEVEL"] = self.serving.log_level
        env["PORT"] = str(self.port)  # read by shared.agentcore.serving (how="main")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        env.pop("DOCKER_CONTAINER", None)  # app.run() must bind loopback here
        fd, name = tempfile.mkstemp(prefix=f"bench-{self.app.module}-", suffix=".log")
        self.log_path = Path(name)
        # Logs go to a file, as a container's stdout goes to a pipe: writing them is part of the cost.
        with os.fdopen(fd, "wb") as log:
            t0 = time.perf_counter()
            self.process = subprocess.Popen(self.command(), env=env, cwd=ROOT, stdout=log, stderr=log)
        deadline = t0 + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.app.name} exited at start-up:\n{self.log_path.read_text()[-3000:]}"
                )
            if time.perf_counter() > deadline:
                self.stop()
                raise TimeoutError(f"{self.app.name} did not become healthy within {timeout} s")
            try:
                status, body = _get(self.port, "/ping", timeout=1)
                if status == 200 and json.loads(body).get("status") in ("Healthy", "HealthyBusy"):
                    self.ping_s = time.perf_counter() - t0
                    break
            except (OSError, ValueError):
                time.sleep(0.005)
        if first_invoke:
            status, body = post(self.port, PAYLOAD)
            if status != 200:
                raise RuntimeError(f"{self.app.name}: first invocation answered {status}: {body}")
            self.invoke_s = time.perf_counter() - t0
        return self

    def cpu_seconds(self) -> float:
        """CPU time (user + system, all threads) the server process has used so far; NaN if unknown."""
        if self.process is None:
            return float("nan")
        try:
            with open(f"/proc/{self.process.pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")  # not Linux
        # Fields 14 and 15 of proc(5) (utime, stime), counted after the ")" that ends the name.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_load(spec: dict[str, Any], timeout: float = 120.0, cpus: frozenset[int] | None = None) -> Any:
    """Run harness.load in its own process (on `cpus` if given) and return its measurements."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    if "aws_env" in spec:
        env = {k: v for k, v in env.items() if not k.startswith("AWS_")}
        env.update(spec.pop("aws_env"))
    out = subprocess.run(
        [*prefix(cpus), sys.executable, "-m", "harness.load", "-"],
        input=json.dumps(spec).encode(),
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{out.stderr.decode()[-3000:]}")
    return json.loads(out.stdout)
