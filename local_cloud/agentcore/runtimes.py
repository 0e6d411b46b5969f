"""The runtimes a local data plane serves: a folder given on the command line, or a deployed one.

A session is served the way the runtime's image serves it: `python <module>.py` (the images' CMD and
direct code deploy's entry point), with PORT naming the port the session listens on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..processes import Program
from .storage import check_mount_path
from .wire import runtime_arn

__all__ = ["SESSION_ENV", "Lifecycle", "RuntimeSpec", "folder_runtime", "parse_runtime_flag"]

# What every session's environment has that an image's Dockerfile sets for a container (unbuffered output,
# so a session's log is current); a runtime's own variables come on top.
SESSION_ENV = {"PYTHONUNBUFFERED": "1"}


@dataclass(frozen=True)
class Lifecycle:
    """A runtime's lifecycleConfiguration in seconds (None: the data plane's defaults)."""

    idle_timeout: float | None = None
    max_lifetime: float | None = None


@dataclass(frozen=True)
class RuntimeSpec:
    """What starting one session of a runtime takes: code, module, environment, lifecycle."""

    name: str
    arn: str
    folder: Path
    module: str = "agent"
    env: Mapping[str, str] = field(default_factory=dict)
    lifecycle: Lifecycle = Lifecycle()
    # Import roots ahead of PYTHONPATH (a checkout whose `shared` the code imports), none for an artifact.
    pythonpath: tuple[str, ...] = ()
    qualifiers: frozenset[str] = frozenset({"DEFAULT"})
    # Other ARNs that name the same runtime (moto reports `agent/<uuid>:<version>` ARNs).
    aliases: tuple[str, ...] = ()
    source: str = ""
    # The mount path of its session storage (filesystemConfigurations[].sessionStorage.mountPath), if any.
    session_storage: str | None = None
    # Its version (agentRuntimeVersion): a new one starts every session's storage afresh.
    version: str = "1"

    def arns(self) -> tuple[str, ...]:
        """Every ARN this runtime answers to."""
        return (self.arn, *self.aliases)

    def program(self) -> Program:
        """What a session's process runs: `python <folder>/<module>.py`, one zygote per runtime ARN."""
        return Program(self.arn, self.name, self.folder, self.module, self.pythonpath)


def folder_runtime(
    name: str,
    folder: Path | str,
    env: Mapping[str, str] | None = None,
    module: str = "agent",
    lifecycle: Lifecycle | None = None,
    pythonpath: Sequence[str] = (),
    session_storage: str | None = None,
) -> RuntimeSpec:
    """A runtime serving <folder>/<module>.py as its image does (its `__main__` serves `app`), with a
    session storage mount path if given."""
    path = Path(folder).resolve()
    if not (path / f"{module}.py").is_file():
        raise ValueError(f"no {module}.py in {path}")
    if session_storage is not None:
        check_mount_path(session_storage)
    return RuntimeSpec(
        name=name,
        arn=runtime_arn(name),
        folder=path,
        module=module,
        env=dict(env or {}),
        lifecycle=lifecycle or Lifecycle(),
        pythonpath=tuple(pythonpath),
        source=str(path),
        session_storage=session_storage,
    )


def parse_runtime_flag(value: str) -> tuple[str, str]:
    """Split `NAME=STEP_FOLDER` (the --runtime flag)."""
    name, sep, folder = value.partition("=")
    if not sep or not name or not folder:
        raise ValueError(f"--runtime takes NAME=STEP_FOLDER, got {value!r}")
    return name, folder
