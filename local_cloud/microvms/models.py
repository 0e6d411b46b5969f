"""MicroVMs like the service's: one process per MicroVM, with its states, idle policy, maximum duration
and lifecycle hooks.

A MicroVM's process runs its image's program (local_cloud.processes), by default forked from the image's
pre-imported zygote: the way every MicroVM "resumes directly from the snapshot state" (the developer
guide's images page), with nothing but copy-on-write pages shared. Its states are the model's
MicrovmState, moved as the launching page and the model's documentation say:

- RunMicrovm answers PENDING; the process starts, listens, and the /run hook (if enabled) answers 200:
  RUNNING. A start that fails, or a /run hook that fails or times out, ends it (TERMINATING, TERMINATED)
  with stateReason START_FAILED, RUN_HOOK_FAILED or RUN_HOOK_TIMED_OUT.
- SuspendMicrovm, or maxIdleDurationSeconds with no traffic through its endpoint (a request in flight
  counts as traffic): SUSPENDING while the /suspend hook runs, then SIGSTOP (its memory kept, no CPU,
  the same pid): SUSPENDED.
- ResumeMicrovm, or a request to its endpoint with autoResumeEnabled: SIGCONT, then the /resume hook;
  it stays SUSPENDED while the hook runs ("After the hook returns HTTP 200, the MicroVM transitions to
  RUNNING"). A failing /resume hook ends it (RESUME_HOOK_FAILED or RESUME_HOOK_TIMED_OUT).
- TerminateMicrovm (any state; idempotent), suspendedDurationSeconds in SUSPENDED (0: at once), or
  maximumDurationInSeconds after it started, suspended time included: TERMINATING, the /terminate hook
  if it was running, then SIGCONT, SIGTERM and SIGKILL after the grace: TERMINATED, with terminatedAt.
  A process that exits on its own ends it too (PROCESS_EXITED). A terminated MicroVM stays listed.

Every duration of the idle policy, the maximum duration and the hook timeouts is divided by
`Settings.time_scale` (inputs are checked at the service's bounds first). stateReason values are this
plane's own (the model allows any text without whitespace and documents none): USER_REQUEST,
IDLE_TIMEOUT, AUTO_RESUME, SUSPENDED_DURATION_EXCEEDED, MAXIMUM_DURATION_EXCEEDED, START_FAILED,
RUN_HOOK_FAILED, RUN_HOOK_TIMED_OUT, RESUME_HOOK_FAILED, RESUME_HOOK_TIMED_OUT, PROCESS_EXITED,
PLANE_STOPPED.

Assumed where the documentation is silent: a failing /suspend or /terminate hook does not stop the
suspend or the termination (the hook is recorded); a suspended MicroVM is terminated without its
/terminate hook (its code is not running); idle policy durations apply to suspends by API as well.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from shared.core.settings import HOOKS_PORT

from ..loopback import free_port
from ..processes import Exit, Launcher, Measured, SessionProcess
from .hooks import TIMED_OUT, HookCall, call_hook
from .images import ImageSpec
from .inputs import RunRequest
from .tokens import TokenIssuer
from .wire import DEFAULT_APP_PORT, ServiceError, conflict

__all__ = ["STATES", "EndpointRefused", "MicroVm", "MicroVmPool", "Plane", "Settings"]

PENDING, RUNNING, SUSPENDING, SUSPENDED, TERMINATING, TERMINATED = (
    "PENDING", "RUNNING", "SUSPENDING", "SUSPENDED", "TERMINATING", "TERMINATED",
)  # fmt: skip
STATES = (PENDING, RUNNING, SUSPENDING, SUSPENDED, TERMINATING, TERMINATED)
LIVE = (PENDING, RUNNING, SUSPENDING, SUSPENDED)
USER_REQUEST = "USER_REQUEST"
IDLE_TIMEOUT = "IDLE_TIMEOUT"
AUTO_RESUME = "AUTO_RESUME"
SUSPENDED_DURATION_EXCEEDED = "SUSPENDED_DURATION_EXCEEDED"
MAXIMUM_DURATION_EXCEEDED = "MAXIMUM_DURATION_EXCEEDED"
START_FAILED = "START_FAILED"
PROCESS_EXITED = "PROCESS_EXITED"
PLANE_STOPPED = "PLANE_STOPPED"
# What every MicroVM's environment has that an image's Dockerfile would set (unbuffered logs).
IMAGE_ENV = {"PYTHONUNBUFFERED": "1"}


@dataclass(frozen=True)
class Settings:
    """Local knobs of a MicroVMs plane."""

    # Divides every idle policy duration, maximum duration and hook timeout (after checking the inputs).
    time_scale: float = 1.0
    # Divides token lifetimes (expirationInMinutes), so tests can see a token expire.
    token_time_scale: float = 1.0
    start_mode: str = "fork"
    # From RunMicrovm to the app's port listening (not scaled: a restore's time, not a setting).
    startup_timeout: float = 30.0
    # SIGTERM to SIGKILL when a MicroVM ends.
    stop_grace: float = 5.0
    # How often the lifecycle is applied.
    tick: float = 0.02

    def scaled(self, seconds: float) -> float:
        """A service duration as this plane counts it."""
        return seconds / self.time_scale


class EndpointRefused(Exception):
    """Why a MicroVM's endpoint cannot take a request now: its HTTP status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(eq=False)
class MicroVm:
    """One MicroVM, its process and its accounting (monotonic clocks for durations)."""

    id: str
    image: ImageSpec
    request: RunRequest
    started_at: float = field(default_factory=time.time)
    started_mono: float = field(default_factory=time.monotonic)
    state: str = PENDING
    state_reason: str | None = None
    terminated_at: float | None = None
    endpoint: str = ""
    process: SessionProcess | None = None
    hooks_port: int | None = None
    scratch: Path | None = None
    log: Path | None = None
    cond: threading.Condition = field(default_factory=threading.Condition)
    # Held by the one transition (launch, suspend, resume, terminate) under way.
    transition: threading.Lock = field(default_factory=threading.Lock)
    reached_running: bool = False
    resuming: bool = False
    in_flight: int = 0
    requests: int = 0
    last_traffic: float = 0.0
    suspended_since: float | None = None
    stopped_since: float | None = None
    stopped_total: float = 0.0
    ended_mono: float | None = None
    suspends: int = 0
    resumes: int = 0
    hook_calls: list[HookCall] = field(default_factory=list)
    exit: Exit | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def idle_policy(self) -> Any:
        """The idle policy it was run with, if any."""
        return self.request.idle_policy

    def seconds(self, now: float | None = None) -> tuple[float, float]:
        """(running, suspended) seconds so far: time its process could run, and time it was stopped."""
        end = self.ended_mono or now or time.monotonic()
        stopped = self.stopped_total + (end - self.stopped_since if self.stopped_since is not None else 0.0)
        return max(0.0, end - self.started_mono - stopped), stopped

    def measured(self) -> Measured:
        """What its process used (CPU, peak memory): its own, not the zygote's imports (a snapshot's)."""
        return self.process.measured() if self.process is not None else Measured(0.0, 0.0)


def _wait_listening(process: SessionProcess, port: int, deadline: float) -> None:
    """Until the port takes connections; RuntimeError if the process exits or the deadline passes."""
    while True:
        process.exited_at_start()
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing listened on its port within {deadline} s")
        time.sleep(0.01)


class MicroVmPool:
    """Runs, routes to and ends MicroVMs; a lifecycle thread applies idle policies and durations."""

    def __init__(
        self,
        settings: Settings,
        base_env: Mapping[str, str],
        open_endpoint: Callable[[MicroVm], str],
    ) -> None:
        self.settings = settings
        self.base_env = dict(base_env)
        self.open_endpoint = open_endpoint
        self.log_dir = Path(tempfile.mkdtemp(prefix="microvms-local-"))
        self.launcher = Launcher(settings.start_mode, self.log_dir, settings.startup_timeout)
        self._all: dict[str, MicroVm] = {}
        self._client_tokens: dict[str, tuple[tuple[Any, ...], str]] = {}
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []
        self._building: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lifecycle = threading.Thread(
            target=self._lifecycle_loop, name="microvms-lifecycle", daemon=True
        )
        self._lifecycle.start()

    def prepare(self, images: list[ImageSpec]) -> None:
        """Import each image's zygote in the background (fork mode): the image built before its first run,
        so RunMicrovm times a restore, not an import. A failure shows at the first run (START_FAILED)."""

        def build() -> None:
            for image in images:
                if self._stopping.is_set():
                    return
                with contextlib.suppress(RuntimeError, OSError):
                    self.launcher.prepare(image.program(), self._image_env(image))

        self._building = threading.Thread(target=build, name="microvms-images", daemon=True)
        self._building.start()

    def images_built(self, timeout: float) -> bool:
        """Wait for prepare()'s imports to be done; whether they are."""
        if self._building is not None:
            self._building.join(timeout)
            return not self._building.is_alive()
        return True

    def _image_env(self, image: ImageSpec) -> dict[str, str]:
        """The plane's environment < what an image's Dockerfile sets < the image's variables."""
        return {**self.base_env, **IMAGE_ENV, **image.env}

    # -- lookups -----------------------------------------------------------------------------------

    def find(self, microvm_id: str) -> MicroVm | None:
        """A MicroVM this plane ran (terminated ones included)."""
        with self._lock:
            return self._all.get(microvm_id)

    def microvms(self) -> list[MicroVm]:
        """Every MicroVM, oldest first."""
        with self._lock:
            return list(self._all.values())

    # -- RunMicrovm --------------------------------------------------------------------------------

    def run(self, image: ImageSpec, request: RunRequest) -> MicroVm:
        """A new MicroVM (PENDING, its endpoint open), starting in the background; the same one again for a
        repeated clientToken with the same parameters."""
        with self._lock:
            if request.client_token is not None and request.client_token in self._client_tokens:
                fingerprint, known = self._client_tokens[request.client_token]
                if fingerprint != request.fingerprint():
                    raise ServiceError(
                        "ConflictException", 409,
                        "clientToken was already used with different parameters", known, "MICROVM",
                    )  # fmt: skip
                return self._all[known]
            vm = MicroVm(f"mvm-{uuid.uuid4()}", image, request)
            self._all[vm.id] = vm
            if request.client_token is not None:
                self._client_tokens[request.client_token] = (request.fingerprint(), vm.id)
        vm.endpoint = self.open_endpoint(vm)
        self._spawn(self._launch, vm)
        return vm

    def _spawn(self, target: Callable[[MicroVm], None], vm: MicroVm) -> None:
        thread = threading.Thread(
            target=target, args=(vm,), daemon=True, name=f"{target.__name__}-{vm.id[:12]}"
        )
        with self._lock:
            self._workers = [t for t in self._workers if t.is_alive()]
            self._workers.append(thread)
        thread.start()

    def _launch(self, vm: MicroVm) -> None:
        with vm.transition:
            if vm.state != PENDING:
                return  # terminated before it started
            image = vm.image
            vm.scratch = self.log_dir / f"disk-{vm.id}"
            vm.scratch.mkdir()
            vm.log = self.log_dir / f"{image.name}-{vm.id}.log"
            # The MicroVM's own disk: its temporary files go to a directory of its own.
            own = {"TMPDIR": str(vm.scratch)}
            separate_hooks = image.hooks is not None and image.hooks.port != DEFAULT_APP_PORT
            if separate_hooks:
                vm.hooks_port = free_port()
                own[HOOKS_PORT] = str(vm.hooks_port)
            env = self._image_env(image)
            deadline = time.monotonic() + self.settings.startup_timeout
            try:
                vm.process = self.launcher.start(image.program(), env, vm.log, own)
                _wait_listening(vm.process, vm.process.port, deadline)
            except (RuntimeError, OSError) as exc:
                (vm.log.parent / f"{vm.id}.start-error").write_text(str(exc))
                self._fail(vm, START_FAILED)
                return
            if vm.hooks_port is None:
                vm.hooks_port = vm.process.port
            if image.hooks is not None and image.hooks.enabled("run"):
                body: dict[str, Any] = {"microvmId": vm.id}
                if vm.request.run_hook_payload is not None:
                    body["runHookPayload"] = vm.request.run_hook_payload
                call = self._hook(vm, "run", body)
                if not call.ok:
                    self._fail(vm, "RUN_HOOK_TIMED_OUT" if call.outcome == TIMED_OUT else "RUN_HOOK_FAILED")
                    return
            with vm.cond:
                if vm.state == PENDING:
                    vm.state = RUNNING
                    vm.reached_running = True
                    vm.last_traffic = time.monotonic()
                vm.cond.notify_all()

    def _hook(self, vm: MicroVm, name: str, body: dict[str, Any] | None = None) -> HookCall:
        assert vm.image.hooks is not None and vm.hooks_port is not None
        timeout = self.settings.scaled(vm.image.hooks.timeouts[name])
        call = call_hook(vm.hooks_port, name, timeout, body)
        with vm.cond:
            vm.hook_calls.append(call)
        return call

    def _fail(self, vm: MicroVm, reason: str) -> None:
        """End a MicroVM from inside a transition (its lock held)."""
        with vm.cond:
            if vm.state not in (TERMINATING, TERMINATED):
                vm.state, vm.state_reason = TERMINATING, reason
            vm.cond.notify_all()
        self._terminate_now(vm)

    # -- suspend and resume ------------------------------------------------------------------------

    def suspend(self, vm: MicroVm, reason: str = USER_REQUEST, idle_only: bool = False) -> None:
        """SuspendMicrovm (idempotent: a suspending or suspended MicroVM stays so); ConflictException
        unless it is RUNNING. `idle_only`: the lifecycle's verdict, dropped if traffic came meanwhile."""
        with vm.cond:
            if idle_only and (vm.state != RUNNING or vm.in_flight or vm.resuming):
                return
            if vm.state in (SUSPENDING, SUSPENDED) and not vm.resuming:
                return
            if vm.state != RUNNING or vm.resuming:
                now = "resuming" if vm.resuming else vm.state
                raise conflict(f"MicroVM {vm.id} is {now}; only a RUNNING MicroVM can be suspended", vm.id)
            vm.state, vm.state_reason = SUSPENDING, reason
            vm.cond.notify_all()
        self._spawn(self._suspend_now, vm)

    def _suspend_now(self, vm: MicroVm) -> None:
        with vm.transition:
            if vm.state != SUSPENDING:
                return
            hooks = vm.image.hooks
            if hooks is not None and hooks.enabled("suspend"):
                self._hook(vm, "suspend")  # the suspend goes ahead whatever it answers (assumed)
            with vm.cond:
                if vm.state == SUSPENDING and vm.process is not None:
                    vm.process.suspend()
                    now = time.monotonic()
                    vm.stopped_since = vm.suspended_since = now
                    vm.state = SUSPENDED
                    vm.suspends += 1
                vm.cond.notify_all()

    def resume(self, vm: MicroVm, reason: str = USER_REQUEST) -> None:
        """ResumeMicrovm: a SUSPENDED MicroVM resumes in the background (a resume under way is no error);
        ConflictException otherwise."""
        with vm.cond:
            if vm.state == SUSPENDED and vm.resuming:
                return
            if vm.state != SUSPENDED:
                raise conflict(
                    f"MicroVM {vm.id} is {vm.state}; only a SUSPENDED MicroVM can be resumed", vm.id
                )
            vm.resuming = True
        self._spawn(lambda v: self._resume_now(v, reason), vm)

    def _resume_now(self, vm: MicroVm, reason: str) -> None:
        with vm.transition:
            with vm.cond:
                if vm.state != SUSPENDED or vm.process is None:
                    vm.resuming = False
                    vm.cond.notify_all()
                    return
                vm.process.resume()
                self._count_stop(vm)
            hooks = vm.image.hooks
            call = self._hook(vm, "resume") if hooks is not None and hooks.enabled("resume") else None
            with vm.cond:
                vm.resuming = False
                if vm.state == SUSPENDED and (call is None or call.ok):
                    vm.state, vm.state_reason = RUNNING, reason
                    vm.suspended_since = None
                    vm.resumes += 1
                    vm.last_traffic = time.monotonic()
                    vm.cond.notify_all()
                    return
            if call is not None and not call.ok and vm.state == SUSPENDED:
                self._fail(vm, "RESUME_HOOK_TIMED_OUT" if call.outcome == TIMED_OUT else "RESUME_HOOK_FAILED")
            with vm.cond:
                vm.cond.notify_all()

    @staticmethod
    def _count_stop(vm: MicroVm) -> None:
        if vm.stopped_since is not None:
            vm.stopped_total += time.monotonic() - vm.stopped_since
            vm.stopped_since = None

    # -- terminate ---------------------------------------------------------------------------------

    def terminate(self, vm: MicroVm, reason: str = USER_REQUEST) -> bool:
        """TerminateMicrovm (idempotent); False if it was already ending or ended."""
        with vm.cond:
            if vm.state in (TERMINATING, TERMINATED):
                return False
            vm.state, vm.state_reason = TERMINATING, reason
            vm.cond.notify_all()
        self._spawn(self._terminate_locked, vm)
        return True

    def _terminate_locked(self, vm: MicroVm) -> None:
        with vm.transition:
            self._terminate_now(vm)

    def _terminate_now(self, vm: MicroVm) -> None:
        if vm.state == TERMINATED:
            return  # a failed start or resume has ended it already
        process, hooks = vm.process, vm.image.hooks
        running = process is not None and process.poll() is None and vm.stopped_since is None
        if running and vm.reached_running and hooks is not None and hooks.enabled("terminate"):
            self._hook(vm, "terminate")  # the termination goes ahead whatever it answers (assumed)
        ended: Exit | None = None
        if process is not None:
            ended = process.poll()
            if ended is None:
                process.measured()  # a last sample of its peak
                with vm.cond:
                    # A stopped process keeps a SIGTERM pending for ever: let it run to receive it.
                    process.resume()
                    self._count_stop(vm)
                process.signal(signal.SIGTERM)
                ended = process.wait(self.settings.stop_grace)
            if ended is None:
                process.signal(signal.SIGKILL)
                ended = process.wait(10)
        with vm.cond:
            self._count_stop(vm)
            vm.exit = ended
            vm.ended_mono = time.monotonic()
            vm.terminated_at = time.time()
            vm.state = TERMINATED
            vm.cond.notify_all()
        if vm.scratch is not None:
            # The MicroVM's disk goes with it.
            shutil.rmtree(vm.scratch, ignore_errors=True)

    # -- the endpoint's traffic --------------------------------------------------------------------

    def enter(self, vm: MicroVm, timeout: float) -> None:
        """Let one request through the endpoint once the MicroVM is RUNNING: it waits out a start, a
        suspend or a resume, and resumes a SUSPENDED MicroVM whose idle policy has autoResumeEnabled."""
        deadline = time.monotonic() + timeout
        with vm.cond:
            while True:
                if vm.state == RUNNING and not vm.resuming:
                    vm.in_flight += 1
                    vm.requests += 1
                    vm.last_traffic = time.monotonic()
                    return
                if vm.state in (TERMINATING, TERMINATED):
                    raise EndpointRefused(502, f"MicroVM {vm.id} is {vm.state} ({vm.state_reason})")
                if vm.state == SUSPENDED and not vm.resuming:
                    policy = vm.idle_policy
                    if policy is None or not policy.auto_resume:
                        # Not documented: no resume, no traffic counted, Bad Gateway.
                        raise EndpointRefused(
                            502,
                            f"MicroVM {vm.id} is SUSPENDED and its idle policy does not enable autoResume; "
                            "call ResumeMicrovm",
                        )
                    vm.resuming = True
                    self._spawn(lambda v: self._resume_now(v, AUTO_RESUME), vm)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise EndpointRefused(502, f"MicroVM {vm.id} did not become RUNNING in {timeout:.0f} s")
                vm.cond.wait(min(left, 0.5))

    def leave(self, vm: MicroVm) -> None:
        """One request through the endpoint is done (it counts as traffic until now)."""
        with vm.cond:
            vm.in_flight -= 1
            vm.last_traffic = time.monotonic()

    def entry_timeout(self, vm: MicroVm) -> float:
        """How long a request may wait for a start or a resume before it is answered 502."""
        hooks = vm.image.hooks
        hook_time = sum(hooks.timeouts.values()) if hooks is not None else 0
        return self.settings.startup_timeout + self.settings.scaled(hook_time) + 5

    # -- the lifecycle -----------------------------------------------------------------------------

    def _lifecycle_loop(self) -> None:
        while not self._stopping.wait(self.settings.tick):
            for vm in self.microvms():
                if vm.state in LIVE:
                    self._apply(vm, time.monotonic())

    def _apply(self, vm: MicroVm, now: float) -> None:
        scaled = self.settings.scaled
        if now - vm.started_mono >= scaled(vm.request.max_duration_seconds):
            self.terminate(vm, MAXIMUM_DURATION_EXCEEDED)
            return
        busy = vm.transition.locked()
        if not busy and vm.state in (RUNNING, SUSPENDED) and vm.process is not None and vm.process.poll():
            self.terminate(vm, PROCESS_EXITED)
            return
        policy = vm.idle_policy
        if policy is None:
            return
        if vm.state == RUNNING and not vm.in_flight and not vm.resuming:
            if now - vm.last_traffic >= scaled(policy.max_idle_seconds):
                self.suspend(vm, IDLE_TIMEOUT, idle_only=True)
        elif (
            vm.state == SUSPENDED
            and not vm.resuming
            and vm.suspended_since is not None
            and now - vm.suspended_since >= scaled(policy.suspended_seconds)
        ):
            self.terminate(vm, SUSPENDED_DURATION_EXCEEDED)

    # -- shutdown ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Terminate every MicroVM (suspended ones included), then stop the zygotes and endpoints."""
        self._stopping.set()
        self._lifecycle.join(timeout=5)
        for vm in self.microvms():
            self.terminate(vm, PLANE_STOPPED)
        deadline = time.monotonic() + self.settings.stop_grace + 30
        while True:
            with self._lock:
                workers = [t for t in self._workers if t.is_alive()]
            if not workers or time.monotonic() > deadline:
                break
            workers[0].join(timeout=max(0.0, deadline - time.monotonic()))
        self.launcher.stop()
        for vm in self.microvms():
            for close in vm.closers:
                close()
        shutil.rmtree(self.log_dir, ignore_errors=True)


class Plane(Protocol):
    """What the wire handlers and the developer API use of a plane (MicroVmsLocal)."""

    region: str
    tokens: TokenIssuer

    @property
    def pool(self) -> MicroVmPool: ...
    def image(self, arn: str) -> ImageSpec | None: ...
    def image_views(self) -> list[dict[str, Any]]: ...
