"""Sessions like microVMs: one process per (runtime, runtimeSessionId), reaped as the service reaps them.

A session starts on its first invocation (the cold start is timed up to the first healthy /ping) and
serves every later invocation with the same id. It ends:
- `idle`: /ping said Healthy and nothing happened for the runtime's idleRuntimeSessionTimeout, counted
  from the later of its last invocation's end and the ping's `time_of_last_update` (a timestamp that
  moves keeps it alive, as on the service); HealthyBusy or an invocation in flight keeps it;
- `max_lifetime`: maxLifetime after it started, busy or not (a maxLifetime below the idle timeout is the
  idle timeout too, as the lifecycle settings page's default-behaviour table has it);
- `stopped`: StopRuntimeSession (or a local stop);
- `crashed`: its process exited on its own (or was killed). The next invocation with that id answers
  RuntimeClientError (424); the one after starts a new session.
Ending a session sends SIGTERM, then SIGKILL after the grace period (the service: "termination can last
up to 15 s"); the session stops taking invocations at once. A new invocation for an ended session id
starts a new process.

Assumed where the documentation is silent: a failed or timed-out /ping leaves the last status in
place (the session is not reaped for it); a start that does not answer /ping within the start-up
timeout (30 s, from a service error message) is a RuntimeClientError; the live-session cap
(ServiceQuotaExceededException) counts sessions of every runtime together.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from shared.core.settings import SESSION_STORAGE_PATH

from ..processes import Exit, Launcher, Measured, SessionProcess
from .runtimes import SESSION_ENV, RuntimeSpec
from .storage import SessionStorage, check_mount_path
from .usage import usage_view
from .wire import ServiceError, quota_exceeded, runtime_client_error

IDLE, MAX_LIFETIME, STOPPED, CRASHED = "idle", "max_lifetime", "stopped", "crashed"
ENDED_REASONS = (IDLE, MAX_LIFETIME, STOPPED, CRASHED)
# The service's documented minimum for both lifecycle settings.
SERVICE_MINIMUM_SECONDS = 60


@dataclass
class Invocation:
    """One call that passed the ARN, qualifier and session checks; recorded before the agent answers."""

    runtime_arn: str
    qualifier: str
    session_id: str
    request_id: str
    status: int | None
    error_code: str | None
    cold_start: bool = False


@dataclass(frozen=True)
class Fault:
    """An injected data-plane error answered instead of invoking the session."""

    code: str
    status: int
    message: str


class FaultQueue:
    """The next N invocations' injected errors."""

    def __init__(self) -> None:
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()

    def add(self, fault: Fault, times: int) -> None:
        """Answer the next `times` invocations with this error."""
        with self._lock:
            self._faults.extend(fault for _ in range(times))

    def next(self) -> Fault | None:
        """The next injected error, if any."""
        with self._lock:
            return self._faults.popleft() if self._faults else None


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
    """Data plane environment < the service's < what an image sets < the runtime's environment variables
    (the launcher adds PORT and the import roots)."""
    return {**base, **(service or {}), **SESSION_ENV, **spec.env}


@dataclass(frozen=True)
class Settings:
    """Lifecycle defaults and local limits of a data plane."""

    idle_timeout: float = 900.0
    max_lifetime: float = 28_800.0
    stop_grace: float = 15.0
    startup_timeout: float = 30.0
    # Unverified default: the account quota for live sessions varies by region.
    max_sessions: int = 1000
    start_mode: str = "spawn"
    # How often each session's /ping is read (None: every 2 s, or a quarter of a shorter idle timeout).
    ping_interval: float | None = None
    # A session storage mount path for every runtime served (agentcore-local --session-storage).
    session_storage: str | None = None

    def __post_init__(self) -> None:
        if self.session_storage is not None:
            check_mount_path(self.session_storage)

    def ping_every(self, idle_timeout: float) -> float:
        """Seconds between two pings of a session."""
        return self.ping_interval or max(0.05, min(2.0, idle_timeout / 4))


def ping_process(port: int, timeout: float = 2.0) -> dict[str, Any]:
    """GET /ping of a session's process."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/ping")
        resp = conn.getresponse()
        return dict(json.loads(resp.read()))
    finally:
        conn.close()


@dataclass
class Session:
    """One session and its process; `view()` is its row of /_local/sessions."""

    spec: RuntimeSpec
    session_id: str
    idle_timeout: float
    max_lifetime: float
    start_mode: str
    started_at: float = field(default_factory=time.time)
    status: str = "starting"
    process: SessionProcess | None = None
    cold_start_seconds: float | None = None
    last_invocation_at: float | None = None
    last_activity: float = 0.0
    in_flight: int = 0
    invocations: int = 0
    ping: str | None = None
    time_of_last_update: float | None = None
    next_ping: float = 0.0
    ended_at: float | None = None
    ended_reason: str | None = None
    exit: Exit | None = None
    start_error: ServiceError | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    # Idle keep-alive connections to the process (http.client.HTTPConnection), reused by invocations.
    connections: list[Any] = field(default_factory=list)
    # Its microVM's own disk (TMPDIR), gone with it; its session storage directory, kept.
    scratch: Path | None = None
    storage: Path | None = None

    @property
    def key(self) -> tuple[str, str]:
        """(runtime ARN, session id)."""
        return (self.spec.arn, self.session_id)

    def idle_for(self, now: float) -> float:
        """Seconds this session has been idle (0 while busy or invoked)."""
        if self.in_flight or self.ping != "Healthy":
            return 0.0
        since = max(self.last_activity, self.time_of_last_update or 0.0)
        return max(0.0, now - since)

    def measured(self) -> Measured:
        """What its process used: the wait4 rusage once ended, /proc while it runs."""
        return self.process.measured() if self.process is not None else Measured(0.0, 0.0)

    def view(self) -> dict[str, Any]:
        """The session as JSON: who, when, why it ended, what it used and cost."""
        end = self.exit.at if self.exit else (self.ended_at or time.time())
        inherited = self.process.inherited_cpu if self.process else 0.0
        return {
            "runtime_arn": self.spec.arn,
            "runtime_name": self.spec.name,
            "session_id": self.session_id,
            "pid": self.process.pid if self.process else None,
            "status": "ended" if self.status == "ended" else "running",
            "ping": self.ping,
            "time_of_last_update": self.time_of_last_update,
            "started_at": round(self.started_at, 3),
            "last_invocation_at": round(self.last_invocation_at, 3) if self.last_invocation_at else None,
            "ended_at": round(self.ended_at, 3) if self.ended_at else None,
            "ended_reason": self.ended_reason,
            "exit": self.exit.describe() if self.exit else None,
            "invocations": self.invocations,
            "cold_start_seconds": round(self.cold_start_seconds, 4) if self.cold_start_seconds else None,
            "start_mode": self.start_mode,
            "idle_timeout": self.idle_timeout,
            "max_lifetime": self.max_lifetime,
            "log": str(self.process.log_path) if self.process else None,
            "session_storage": str(self.storage) if self.storage else None,
            "usage": usage_view(end - self.started_at, self.measured(), inherited),
        }


class SessionPool:
    """Starts, routes to and ends sessions; a reaper thread applies the lifecycle."""

    def __init__(
        self,
        settings: Settings,
        base_env: Mapping[str, str],
    ) -> None:
        self.settings = settings
        self.base_env = dict(base_env)
        # Set once the data plane serves: the endpoint its sessions reach it at.
        self.data_plane_url: str | None = None
        self.log_dir = Path(tempfile.mkdtemp(prefix="agentcore-local-"))
        self.storage = SessionStorage(self.log_dir / "session-storage")
        self.launcher = Launcher(settings.start_mode, self.log_dir, settings.startup_timeout)
        self._live: dict[tuple[str, str], Session] = {}
        self._all: list[Session] = []
        self._crash_pending: dict[tuple[str, str], Session] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._enders: list[threading.Thread] = []
        self._reaper = threading.Thread(target=self._reap_loop, name="agentcore-local-reaper", daemon=True)
        self._reaper.start()

    # -- invocations -------------------------------------------------------------------------------

    def acquire(self, spec: RuntimeSpec, session_id: str) -> tuple[Session, bool]:
        """The live session for this id (started if needed) with one more invocation in flight."""
        key = (spec.arn, session_id)
        now = time.time()
        with self._lock:
            crashed = self._crash_pending.pop(key, None)
            if crashed is not None:
                how = crashed.exit.describe() if crashed.exit else "exited"
                raise runtime_client_error(f"the session's runtime process ended unexpectedly ({how})")
            session = self._live.get(key)
            cold = session is None
            if session is None:
                if len(self._live) >= self.settings.max_sessions:
                    raise quota_exceeded(
                        f"{len(self._live)} sessions are running, the limit of this data plane"
                    )
                max_lifetime = spec.lifecycle.max_lifetime or self.settings.max_lifetime
                # The service keeps idle <= max: a maxLifetime under the idle timeout is used for both.
                idle = min(spec.lifecycle.idle_timeout or self.settings.idle_timeout, max_lifetime)
                session = Session(spec, session_id, idle, max_lifetime, self.settings.start_mode)
                self._live[key] = session
                self._all.append(session)
            session.in_flight += 1
            session.invocations += 1
            session.last_invocation_at = now
        if cold:
            self._start(session)
        else:
            session.ready.wait(self.settings.startup_timeout + 5)
        if session.start_error is not None or session.status != "running":
            self.release(session)
            raise session.start_error or runtime_client_error("the session ended before it could answer")
        return session, cold

    def prepare(self, spec: RuntimeSpec) -> None:
        """Get the runtime's first session ready to start at once (fork mode: its zygote imported now)."""
        self.launcher.prepare(
            spec.program(), session_env(self.base_env, spec, service_env(spec, self.data_plane_url))
        )

    def release(self, session: Session) -> None:
        """One invocation of the session finished."""
        with self._lock:
            session.in_flight -= 1
            session.last_activity = time.time()

    def _start(self, session: Session) -> None:
        spec = session.spec
        t0 = time.monotonic()
        log = self.log_dir / f"{spec.name}-{len(self._all)}-{session.session_id[:40]}.log"
        env = session_env(self.base_env, spec, service_env(spec, self.data_plane_url))
        # The session's microVM has a disk of its own: its temporary files go to a directory of its own.
        session.scratch = self.log_dir / f"disk-{len(self._all)}-{uuid.uuid4().hex[:8]}"
        session.scratch.mkdir()
        own = {"TMPDIR": str(session.scratch)}
        mount = spec.session_storage or self.settings.session_storage
        if mount is not None:
            session.storage = self.storage.directory(spec.arn, spec.version, session.session_id)
            own[SESSION_STORAGE_PATH] = str(session.storage)
        try:
            session.process = self.launcher.start(spec.program(), env, log, own)
            self._wait_healthy(session, t0 + self.settings.startup_timeout)
        except (RuntimeError, TimeoutError, OSError) as exc:
            session.start_error = runtime_client_error(f"the runtime's container failed to start: {exc}")
            session.last_activity = time.time()
            self.end(session, CRASHED)
            session.ready.set()
            return
        session.cold_start_seconds = time.monotonic() - t0
        session.last_activity = time.time()
        session.next_ping = time.time() + self.settings.ping_every(session.idle_timeout)
        session.status = "running"
        session.ready.set()

    def _wait_healthy(self, session: Session, deadline: float) -> None:
        process = session.process
        assert process is not None
        while True:
            process.exited_at_start()
            try:
                answer = ping_process(process.port, timeout=1)
            except (OSError, ValueError, http.client.HTTPException):
                answer = {}
            if answer.get("status") in ("Healthy", "HealthyBusy"):
                self._note_ping(session, answer)
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"/ping did not answer Healthy within {self.settings.startup_timeout} s")
            time.sleep(0.01)

    @staticmethod
    def _note_ping(session: Session, answer: Mapping[str, Any]) -> None:
        session.ping = str(answer.get("status"))
        stamp = answer.get("time_of_last_update")
        session.time_of_last_update = float(stamp) if isinstance(stamp, (int, float)) else None

    def crashed_during(self, session: Session) -> bool:
        """After a failed forward: whether the process died (then the session ends as crashed)."""
        if session.process is None or session.process.wait(1.0) is None:
            return False
        with self._lock:
            if self._crash_pending.get(session.key) is session:
                del self._crash_pending[session.key]  # this failed call is the answer
        self.end(session, CRASHED)
        return True

    # -- lifecycle ---------------------------------------------------------------------------------

    def find(self, arn: str, session_id: str) -> Session | None:
        """The live session for this id, if any."""
        with self._lock:
            return self._live.get((arn, session_id))

    def end(self, session: Session, reason: str, unless_invoked: bool = False) -> bool:
        """End a session now (SIGTERM, SIGKILL after the grace period); False if it had ended.

        `unless_invoked`: not if an invocation has just arrived (the reaper's idle verdict was read
        without the lock that invocations take).
        """
        if reason not in ENDED_REASONS:
            raise ValueError(f"ended_reason is one of {ENDED_REASONS}")
        with self._lock:
            if session.ended_at is not None or (unless_invoked and session.in_flight):
                return False
            session.status = "ended"
            session.ended_at = time.time()
            session.ended_reason = reason
            if self._live.get(session.key) is session:
                del self._live[session.key]
        thread = threading.Thread(target=self._terminate, args=(session,), daemon=True)
        self._enders.append(thread)
        thread.start()
        return True

    def _terminate(self, session: Session) -> None:
        process = session.process
        if process is None:
            return
        ended = process.poll()
        if ended is None:
            session.measured()  # a last VmHWM sample: the peak up to now
            process.signal(signal.SIGTERM)
            ended = process.wait(self.settings.stop_grace)
        if ended is None:
            process.signal(signal.SIGKILL)
            ended = process.wait(10)
        session.exit = ended
        if session.scratch is not None:
            shutil.rmtree(session.scratch, ignore_errors=True)

    def kill(self, session: Session, sig: int = signal.SIGKILL) -> None:
        """Signal a session's process from outside (a fault): the reaper then sees it crash."""
        if session.process is not None:
            session.process.signal(sig)

    def _reap_loop(self) -> None:
        while not self._stopping.wait(0.05):
            with self._lock:
                running = [s for s in self._live.values() if s.status == "running"]
            now = time.time()
            for session in running:
                self._check(session, now)

    def _check(self, session: Session, now: float) -> None:
        process = session.process
        assert process is not None
        ended = process.poll()
        if ended is not None:
            if self.end(session, CRASHED):
                with self._lock:
                    self._crash_pending[session.key] = session
            session.exit = ended
            return
        if now - session.started_at >= session.max_lifetime:
            # The view keeps what the session was doing when its lifetime ran out (busy or not), however
            # long ago the last scheduled ping was.
            with contextlib.suppress(OSError, ValueError, http.client.HTTPException):
                self._note_ping(session, ping_process(process.port, timeout=1))
            self.end(session, MAX_LIFETIME)
            return
        if now >= session.next_ping:
            session.next_ping = now + self.settings.ping_every(session.idle_timeout)
            # Assumed: an unanswered ping changes nothing (a crash shows as the exit above).
            with contextlib.suppress(OSError, ValueError, http.client.HTTPException):
                self._note_ping(session, ping_process(process.port, timeout=1))
            session.measured()  # a live sample, for a peak where there is no VmHWM
        if session.idle_for(now) >= session.idle_timeout:
            self.end(session, IDLE, unless_invoked=True)

    # -- views and shutdown ------------------------------------------------------------------------

    def sessions(self) -> list[Session]:
        """Every session this data plane started, oldest first."""
        with self._lock:
            return list(self._all)

    def close(self) -> None:
        """End every live session and stop the zygotes."""
        self._stopping.set()
        self._reaper.join(timeout=5)
        with self._lock:
            running = list(self._live.values())
        for session in running:
            self.end(session, STOPPED)
        for thread in list(self._enders):
            thread.join(timeout=self.settings.stop_grace + 15)
        self.launcher.stop()
        # Session logs and unpacked artifacts live as long as the data plane (a failed start's log tail
        # travels in its RuntimeClientError message).
        shutil.rmtree(self.log_dir, ignore_errors=True)


class Plane(Protocol):
    """What the wire handlers and the developer API use of a data plane (AgentCoreLocal)."""

    region: str
    container_errors: str
    invocations: list[Invocation]
    faults: FaultQueue

    @property
    def pool(self) -> SessionPool: ...
    def runtime(self, arn: str) -> RuntimeSpec | None: ...
    def runtime_views(self) -> list[dict[str, Any]]: ...
    def record(self, invocation: Invocation) -> None: ...
    def inject(self, code: str, status: int, times: int = 1, message: str | None = None) -> None: ...
    def kill(self, arn: str, session_id: str, sig: int = ...) -> bool: ...
    def stop_session(self, arn: str, session_id: str) -> bool: ...
    def expire(self, arn: str, session_id: str, reason: str = "idle") -> bool: ...
