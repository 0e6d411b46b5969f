"""Session processes: started fresh (spawn: uvicorn as the Dockerfile runs it) or forked from a zygote."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from devtools.agentcore_local.runtimes import RuntimeSpec
from devtools.agentcore_local.usage import Measured, from_rusage
from devtools.serve import free_port

START_MODES = ("spawn", "fork")


@dataclass(frozen=True)
class Exit:
    """How a session's process ended and what it used, from its parent's wait4."""

    status: int
    measured: Measured
    at: float

    def describe(self) -> str:
        """'exit code N' or 'killed by SIGNAME'."""
        if os.WIFSIGNALED(self.status):
            return f"killed by {signal.Signals(os.WTERMSIG(self.status)).name}"
        if os.WIFEXITED(self.status):
            return f"exit code {os.WEXITSTATUS(self.status)}"
        return f"wait status {self.status}"


class SessionProcess:
    """One session's OS process on a loopback port."""

    pid: int
    port: int
    log_path: Path
    # CPU a fresh process would have spent on imports that a forked child inherited instead.
    inherited_cpu: float = 0.0
    # Linux folds the RSS a child had before exec (a copy of its parent's) into ru_maxrss: an exec'd
    # child's peak then comes from VmHWM samples of its own image instead.
    maxrss_includes_parent: bool = False

    def poll(self) -> Exit | None:
        """The exit, once the process has ended (never blocks)."""
        raise NotImplementedError

    def wait(self, timeout: float) -> Exit | None:
        """Wait up to `timeout` seconds for the process to end."""
        deadline = time.monotonic() + timeout
        while (ended := self.poll()) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        return ended

    def signal(self, sig: int) -> None:
        """Send a signal, if the process is still there."""
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)


def service_env(spec: RuntimeSpec, data_plane_url: str | None) -> dict[str, str]:
    """What the service gives every session's microVM: its runtime's ARN for OpenTelemetry (the
    `cloud.resource_id` bedrock-agentcore's SDK reads its own ARN from), and here, the data plane to call
    (StopRuntimeSession on itself) where the service's is the regional endpoint."""
    env = {"OTEL_RESOURCE_ATTRIBUTES": f"cloud.resource_id={spec.arn}/runtime-endpoint/DEFAULT"}
    if data_plane_url:
        env["AWS_ENDPOINT_URL_BEDROCK_AGENTCORE"] = data_plane_url
    return env


def session_env(
    base: Mapping[str, str], spec: RuntimeSpec, service: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Data plane environment < the service's < image ENV < the runtime's environment variables;
    import roots added."""
    env = {**base, **(service or {}), **spec.serving.env, **spec.env}
    roots = [*spec.pythonpath, env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in roots if p)
    return env


class SpawnedProcess(SessionProcess):
    """A fresh interpreter: `python -m uvicorn <module>:app` with the Dockerfile's options."""

    maxrss_includes_parent = True

    def __init__(self, spec: RuntimeSpec, env: Mapping[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        command = [
            sys.executable, "-m", "uvicorn", f"{spec.module}:app",
            "--app-dir", str(spec.folder),
            "--host", "127.0.0.1", "--port", str(self.port),
            *spec.serving.uvicorn_args,
        ]  # fmt: skip
        with log_path.open("ab") as log:
            self._popen = subprocess.Popen(
                command, env=dict(env), cwd=spec.folder, stdout=log, stderr=subprocess.STDOUT
            )
        self.pid = self._popen.pid
        self._exit: Exit | None = None
        self._lock = threading.Lock()

    def poll(self) -> Exit | None:
        """Reap with wait4 (not Popen.poll, which would drop the rusage)."""
        with self._lock:
            if self._exit is None:
                try:
                    pid, status, ru = os.wait4(self.pid, os.WNOHANG)
                except ChildProcessError:
                    pid, status, ru = self.pid, 0, None
                if pid:
                    measured = from_rusage(ru.ru_utime, ru.ru_stime, ru.ru_maxrss) if ru else Measured(0, 0)
                    self._exit = Exit(status, measured, time.time())
                    self._popen.returncode = os.waitstatus_to_exitcode(status)
            return self._exit


class ForkedProcess(SessionProcess):
    """A child of a runtime's zygote; the zygote reports its exit and rusage."""

    def __init__(self, pid: int, port: int, log_path: Path, inherited_cpu: float) -> None:
        self.pid, self.port, self.log_path, self.inherited_cpu = pid, port, log_path, inherited_cpu
        self._exit: Exit | None = None
        self._ended = threading.Event()

    def ended(self, exit_: Exit) -> None:
        """Record the exit the zygote reported."""
        self._exit = exit_
        self._ended.set()

    def poll(self) -> Exit | None:
        """The reported exit, if any."""
        return self._exit

    def wait(self, timeout: float) -> Exit | None:
        """Wait for the zygote's report."""
        self._ended.wait(timeout)
        return self._exit


class Zygote:
    """The pre-imported process of one runtime (see devtools.agentcore_local.zygote)."""

    def __init__(self, spec: RuntimeSpec, env: Mapping[str, str], log_dir: Path, timeout: float) -> None:
        self.log_path = log_dir / f"zygote-{spec.name}-{os.getpid()}-{id(self):x}.log"
        config = json.dumps(spec.serving.uvicorn_config())
        command = [
            sys.executable, "-m", "devtools.agentcore_local.zygote", str(spec.folder), spec.module, config
        ]  # fmt: skip
        # The zygote imports devtools itself; the runtime's own roots come first.
        repo = str(Path(__file__).resolve().parents[2])
        zygote_env = dict(env)
        zygote_env["PYTHONPATH"] = os.pathsep.join(p for p in (zygote_env.get("PYTHONPATH", ""), repo) if p)
        with self.log_path.open("ab") as log:
            self._popen = subprocess.Popen(
                command,
                env=zygote_env,
                cwd=spec.folder,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        assert self._popen.stdin is not None and self._popen.stdout is not None
        self._stdin: IO[bytes] = self._popen.stdin
        self._lock = threading.Lock()
        self._next_id = 0
        self._pending: dict[int, tuple[threading.Event, dict[str, Any]]] = {}
        self._children: dict[int, ForkedProcess] = {}
        self._early_exits: dict[int, Exit] = {}
        self._ready = threading.Event()
        self.alive = False
        self.cpu_seconds = 0.0
        self._reader = threading.Thread(target=self._read, args=(self._popen.stdout,), daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise RuntimeError(f"the runtime did not import within {timeout} s: {self.log_tail()}")
        if not self.alive:
            self.stop()
            raise RuntimeError(f"the runtime failed to import: {self.log_tail()}")

    def log_tail(self) -> str:
        """The end of the zygote's log (an import error's traceback)."""
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"

    def _read(self, stdout: IO[bytes]) -> None:
        for line in stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # not the protocol's: the zygote writes only JSON lines here
            kind = message["type"]
            if kind == "ready":
                self.cpu_seconds = float(message["cpu_seconds"])
                self.alive = True
                self._ready.set()
            elif kind == "forked":
                event, slot = self._pending[message["id"]]
                slot.update(message)
                event.set()
            elif kind == "exited":
                ended = Exit(
                    message["status"],
                    from_rusage(message["utime"], message["stime"], message["maxrss"]),
                    time.time(),
                )
                with self._lock:
                    child = self._children.pop(message["pid"], None)
                    if child is None:
                        self._early_exits[message["pid"]] = ended
                if child is not None:
                    child.ended(ended)
        # The zygote is gone (its children get SIGTERM from the kernel): nothing more will be reported.
        self.alive = False
        self._ready.set()
        with self._lock:
            orphans, self._children = list(self._children.values()), {}
            for event, _ in self._pending.values():
                event.set()
        for child in orphans:
            child.ended(Exit(-1, Measured(0.0, 0.0), time.time()))

    def fork(self, log_path: Path, timeout: float) -> ForkedProcess:
        """Fork a child for one session."""
        event, slot = threading.Event(), dict[str, Any]()
        with self._lock:
            self._next_id += 1
            request = self._next_id
            self._pending[request] = (event, slot)
            try:
                line = json.dumps({"op": "fork", "id": request, "log": str(log_path)})
                self._stdin.write(line.encode() + b"\n")
                self._stdin.flush()
            except (BrokenPipeError, ValueError) as exc:
                raise RuntimeError(f"the runtime's zygote is gone: {self.log_tail()}") from exc
        event.wait(timeout)
        with self._lock:
            self._pending.pop(request, None)
            if "pid" not in slot:
                raise RuntimeError(f"the runtime's zygote did not fork: {self.log_tail()}")
            child = ForkedProcess(slot["pid"], slot["port"], log_path, self.cpu_seconds)
            early = self._early_exits.pop(child.pid, None)
            if early is None:
                self._children[child.pid] = child
        if early is not None:
            child.ended(early)
        return child

    def stop(self) -> None:
        """Close its stdin: it ends its children and exits."""
        with contextlib.suppress(OSError):
            self._stdin.close()
        try:
            self._popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._popen.kill()
            self._popen.wait()
        self._reader.join(timeout=5)


class Launcher:
    """Starts session processes in one start mode; keeps one zygote per runtime in fork mode."""

    def __init__(self, mode: str, log_dir: Path, timeout: float) -> None:
        if mode not in START_MODES:
            raise ValueError(f"start mode is one of {', '.join(START_MODES)}, not {mode!r}")
        self.mode = mode
        self.log_dir = log_dir
        self.timeout = timeout
        self._zygotes: dict[str, Zygote] = {}
        self._lock = threading.Lock()

    def start(self, spec: RuntimeSpec, env: Mapping[str, str], log_path: Path) -> SessionProcess:
        """Start one session's process (not yet waited for)."""
        if self.mode == "spawn":
            return SpawnedProcess(spec, env, log_path)
        with self._lock:
            zygote = self._zygotes.get(spec.arn)
            if zygote is not None and not zygote.alive:
                zygote.stop()  # it died (killed, out of memory): import the runtime again
                zygote = None
            if zygote is None:
                zygote = self._zygotes[spec.arn] = Zygote(spec, env, self.log_dir, self.timeout)
        return zygote.fork(log_path, self.timeout)

    def forget(self, arn: str) -> None:
        """Drop a runtime's zygote (its code or settings changed)."""
        with self._lock:
            zygote = self._zygotes.pop(arn, None)
        if zygote is not None:
            zygote.stop()

    def stop(self) -> None:
        """Stop every zygote."""
        with self._lock:
            zygotes, self._zygotes = list(self._zygotes.values()), {}
        for zygote in zygotes:
            zygote.stop()
