"""Processes that stand for microVMs: one per session (AgentCore) or per MicroVM (Lambda), each running a
program as its image does (`python <module>.py`, PORT naming its port), started fresh (spawn: a cold
start's real imports) or forked from a pre-imported zygote (fork: the way a snapshot restores)."""

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

from ..loopback import free_port
from .usage import Measured, from_rusage, live

__all__ = ["START_MODES", "Exit", "Launcher", "Program", "SessionProcess"]

START_MODES = ("spawn", "fork")


@dataclass(frozen=True)
class Program:
    """What a process runs: `python <folder>/<module>.py` from its folder, with import roots ahead of it."""

    # One zygote per key in fork mode (a runtime's ARN, a MicroVM image's ARN).
    key: str
    name: str
    folder: Path
    module: str = "agent"
    pythonpath: tuple[str, ...] = ()

    @property
    def script(self) -> Path:
        """The file the process runs."""
        return self.folder / f"{self.module}.py"


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
    # The largest VmHWM (or RSS) sample seen while it ran.
    peak_seen: float = 0.0

    def measured(self) -> Measured:
        """What it used: wait4's rusage once it has ended (with its last sample as the peak where the rusage
        counts the parent's), /proc while it runs (each reading also a sample of the peak)."""
        ended = self.poll()
        if ended is not None:
            if self.maxrss_includes_parent and self.peak_seen:
                return Measured(ended.measured.cpu_seconds, self.peak_seen)
            return ended.measured
        now = live(self.pid, self.peak_seen)
        if now is not None:
            self.peak_seen = now.peak_rss_mb
            return now
        return Measured(0.0, self.peak_seen)

    def log_tail(self, chars: int = 2000) -> str:
        """The end of its log (a failed start's traceback)."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def exited_at_start(self) -> None:
        """RuntimeError with its exit and log tail, if it has ended (a start that failed)."""
        ended = self.poll()
        if ended is not None:
            raise RuntimeError(f"it exited at start-up ({ended.describe()}):\n{self.log_tail()}")

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

    def suspend(self) -> None:
        """Stop the process where it is (SIGSTOP): its memory kept, no CPU until resumed."""
        self.signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a suspended process run on (SIGCONT), the same pid with the same memory."""
        self.signal(signal.SIGCONT)


def program_env(program: Program, env: Mapping[str, str], port: int) -> dict[str, str]:
    """The environment a program runs with: PORT, and its import roots ahead of PYTHONPATH."""
    roots = [*program.pythonpath, env.get("PYTHONPATH", "")]
    return {**env, "PORT": str(port), "PYTHONPATH": os.pathsep.join(p for p in roots if p)}


class SpawnedProcess(SessionProcess):
    """A fresh interpreter: `python <module>.py`, as the image's CMD runs it."""

    maxrss_includes_parent = True

    def __init__(
        self, program: Program, env: Mapping[str, str], log_path: Path, own: Mapping[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.log_path = log_path
        with log_path.open("ab") as log:
            self._popen = subprocess.Popen(
                [sys.executable, str(program.script)],
                env={**program_env(program, env, self.port), **(own or {})},
                cwd=program.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
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
    """The pre-imported process of one program (see local_cloud.processes.zygote)."""

    def __init__(self, program: Program, env: Mapping[str, str], log_dir: Path, timeout: float) -> None:
        self.log_path = log_dir / f"zygote-{program.name}-{os.getpid()}-{id(self):x}.log"
        command = [sys.executable, "-m", "local_cloud.processes.zygote", str(program.script)]
        # The zygote imports the local cloud itself: the program's own roots come first, then this checkout.
        here = str(Path(__file__).resolve().parents[2])
        zygote_env = program_env(program, env, 0)
        del zygote_env["PORT"]  # each child gets its own
        zygote_env["PYTHONPATH"] = os.pathsep.join(p for p in (zygote_env["PYTHONPATH"], here) if p)
        with self.log_path.open("ab") as log:
            self._popen = subprocess.Popen(
                command,
                env=zygote_env,
                cwd=program.folder,
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

    def fork(self, log_path: Path, timeout: float, own: Mapping[str, str] | None = None) -> ForkedProcess:
        """Fork a child for one session (`own`: variables of that child alone)."""
        event, slot = threading.Event(), dict[str, Any]()
        with self._lock:
            self._next_id += 1
            request = self._next_id
            self._pending[request] = (event, slot)
            try:
                line = json.dumps({"op": "fork", "id": request, "log": str(log_path), "env": dict(own or {})})
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
    """Starts processes in one start mode; keeps one zygote per program in fork mode."""

    def __init__(self, mode: str, log_dir: Path, timeout: float) -> None:
        if mode not in START_MODES:
            raise ValueError(f"start mode is one of {', '.join(START_MODES)}, not {mode!r}")
        self.mode = mode
        self.log_dir = log_dir
        self.timeout = timeout
        self._zygotes: dict[str, Zygote] = {}
        self._lock = threading.Lock()

    def prepare(self, program: Program, env: Mapping[str, str]) -> None:
        """In fork mode, import the program's zygote now rather than at its first start (an image built
        ahead of its first run); nothing in spawn mode."""
        if self.mode == "fork":
            self._zygote(program, env)

    def _zygote(self, program: Program, env: Mapping[str, str]) -> Zygote:
        with self._lock:
            zygote = self._zygotes.get(program.key)
            if zygote is not None and not zygote.alive:
                zygote.stop()  # it died (killed, out of memory): import the program again
                zygote = None
            if zygote is None:
                zygote = self._zygotes[program.key] = Zygote(program, env, self.log_dir, self.timeout)
            return zygote

    def start(
        self, program: Program, env: Mapping[str, str], log_path: Path, own: Mapping[str, str] | None = None
    ) -> SessionProcess:
        """Start one process of the program (not yet waited for); `own` are the variables of this process
        alone (in fork mode `env` is the zygote's, read once per program)."""
        if self.mode == "spawn":
            return SpawnedProcess(program, env, log_path, own)
        return self._zygote(program, env).fork(log_path, self.timeout, own)

    def forget(self, key: str) -> None:
        """Drop a program's zygote (its code or settings changed)."""
        with self._lock:
            zygote = self._zygotes.pop(key, None)
        if zygote is not None:
            zygote.stop()

    def stop(self) -> None:
        """Stop every zygote."""
        with self._lock:
            zygotes, self._zygotes = list(self._zygotes.values()), {}
        for zygote in zygotes:
            zygote.stop()
