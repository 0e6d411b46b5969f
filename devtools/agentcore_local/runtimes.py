"""The runtimes a local data plane serves: a step folder given on the command line, or a deployed one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from devtools.agentcore_local.serving import Serving, read_dockerfile
from devtools.agentcore_local.wire import runtime_arn
from devtools.stage import ROOT, refresh_if_stale


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
    serving: Serving = field(default_factory=Serving)
    # Extra import roots: the repository for a step folder (its shared/ unstaged), none for an artifact.
    pythonpath: tuple[str, ...] = ()
    qualifiers: frozenset[str] = frozenset({"DEFAULT"})
    # Other ARNs that name the same runtime (moto reports `agent/<uuid>:<version>` ARNs).
    aliases: tuple[str, ...] = ()
    source: str = ""

    def arns(self) -> tuple[str, ...]:
        """Every ARN this runtime answers to."""
        return (self.arn, *self.aliases)


def folder_runtime(
    name: str,
    folder: Path | str,
    env: Mapping[str, str] | None = None,
    module: str = "agent",
    lifecycle: Lifecycle | None = None,
) -> RuntimeSpec:
    """A runtime serving <folder>/<module>.py's `app`, as its Dockerfile serves it, named `name`."""
    path = Path(folder)
    if not path.is_absolute():
        path = (ROOT / path) if (ROOT / path).is_dir() else path.resolve()
    if not (path / f"{module}.py").is_file():
        raise ValueError(f"no {module}.py in {path}")
    if path.resolve().is_relative_to(ROOT):
        # A local run serves the folder first on sys.path: an old `make stage` copy would shadow shared/.
        refresh_if_stale(path)
    return RuntimeSpec(
        name=name,
        arn=runtime_arn(name),
        folder=path.resolve(),
        module=module,
        env=dict(env or {}),
        lifecycle=lifecycle or Lifecycle(),
        serving=read_dockerfile(path),
        pythonpath=(str(ROOT),) if path.resolve().is_relative_to(ROOT) else (),
        source=str(path),
    )


def parse_runtime_flag(value: str) -> tuple[str, str]:
    """Split `NAME=STEP_FOLDER` (the --runtime flag)."""
    name, sep, folder = value.partition("=")
    if not sep or not name or not folder:
        raise ValueError(f"--runtime takes NAME=STEP_FOLDER, got {value!r}")
    return name, folder
