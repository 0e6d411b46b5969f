"""The images a local MicroVMs plane serves: a step folder, with the image definition beside it if any.

A MicroVM runs `python <module>.py` from the folder (as the image's CMD would), PORT naming the loopback
port that stands for 8080. If the folder holds a `template.yaml` with one `AWS::Serverless::MicrovmImage`
(or `AWS::Lambda::MicrovmImage`), its properties are the image's, as CreateMicrovmImage would take them:
- `Hooks`: `Port` and `MicrovmHooks` (`Run`, `Resume`, `Suspend`, `Terminate`: ENABLED or DISABLED, each
  with its `...TimeoutInSeconds`, 1 to 60); `MicrovmImageHooks` (`Ready`, `Validate`, 1 to 3600 s) are
  checked but not called: they run at image build, which has no local step (the zygote's import stands
  for the build's snapshot);
- `Resources`: `MinimumMemoryInMiB`, the baseline a MicroVM is billed for (2048 by default);
- `EnvironmentVariables`: a map (SAM) or a list of `{Key, Value}` (CloudFormation), literal strings.
Without a definition an image has no hooks, the default 2 GB baseline and the folder's code alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..aws.cfn import load_template
from ..processes import Program
from .wire import image_arn

__all__ = [
    "DEFINITION",
    "HOOK_NAMES",
    "Hooks",
    "ImageSpec",
    "folder_image",
    "read_definition",
]

DEFINITION = "template.yaml"
IMAGE_TYPES = ("AWS::Serverless::MicrovmImage", "AWS::Lambda::MicrovmImage")
HOOK_NAMES = ("run", "resume", "suspend", "terminate")
BUILD_HOOK_NAMES = ("ready", "validate")
HOOK_TIMEOUTS = (1, 60)
BUILD_HOOK_TIMEOUTS = (1, 3600)
# An ENABLED hook without a timeout: 1 s, the default the AWS-published Lambda MicroVMs skill gives for
# runtime hooks (the model has no default: unverified).
DEFAULT_HOOK_TIMEOUT = 1
# The baselines of the developer guide's sizing table (0.5 to 8 GB), 2 GB by default.
MEMORY_SIZES_MIB = (512, 1024, 2048, 4096, 8192)
DEFAULT_MEMORY_MIB = 2048
# Each local image has one version (UpdateMicrovmImage would make more).
IMAGE_VERSION = "1"
# CreateMicrovmImage's Name: 1 to 64 of [a-zA-Z0-9-_].
IMAGE_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Hooks:
    """An image's lifecycle hooks: the port they listen on and the enabled ones with their timeouts (s)."""

    port: int
    timeouts: Mapping[str, int]

    def enabled(self, name: str) -> bool:
        """Whether the image's definition ENABLED this hook."""
        return name in self.timeouts


@dataclass(frozen=True)
class ImageSpec:
    """What running one MicroVM of an image takes: code, module, environment, hooks, baseline memory."""

    name: str
    arn: str
    folder: Path
    module: str = "agent"
    env: Mapping[str, str] = field(default_factory=dict)
    hooks: Hooks | None = None
    memory_mib: int = DEFAULT_MEMORY_MIB
    version: str = IMAGE_VERSION
    # Import roots ahead of PYTHONPATH (a checkout whose `shared` the code imports).
    pythonpath: tuple[str, ...] = ()
    source: str = ""

    @property
    def memory_gb(self) -> float:
        """The baseline memory in GB (of 1,024 MiB), as the price table counts it."""
        return self.memory_mib / 1024

    def program(self) -> Program:
        """What a MicroVM's process runs: `python <folder>/<module>.py`, one zygote per image ARN."""
        return Program(self.arn, self.name, self.folder, self.module, self.pythonpath)


def _image_properties(template: Mapping[str, Any], path: Path) -> dict[str, Any] | None:
    found = [
        dict(resource.get("Properties") or {})
        for resource in (template.get("Resources") or {}).values()
        if isinstance(resource, Mapping) and resource.get("Type") in IMAGE_TYPES
    ]
    if len(found) > 1:
        raise ValueError(f"{path} defines {len(found)} MicroVM images; one per folder")
    return found[0] if found else None


def read_definition(folder: Path) -> dict[str, Any] | None:
    """The MicroVM image properties of the folder's template.yaml, if it defines an image."""
    path = folder / DEFINITION
    if not path.is_file():
        return None
    return _image_properties(load_template(path), path)


def _integer(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{what} must be an integer from {low} to {high}, got {value!r}")
    return value


def _switch(value: Any, what: str) -> bool:
    if value not in ("ENABLED", "DISABLED"):
        raise ValueError(f"{what} must be ENABLED or DISABLED, got {value!r}")
    return bool(value == "ENABLED")


def parse_hooks(raw: Any) -> Hooks | None:
    """An image definition's `Hooks`, checked at the service's bounds."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ValueError("Hooks must be an object with Port and MicrovmHooks")
    port = _integer(raw.get("Port"), "Hooks.Port", 1, 65535)
    timeouts: dict[str, int] = {}
    groups = (
        ("MicrovmHooks", HOOK_NAMES, HOOK_TIMEOUTS),
        ("MicrovmImageHooks", BUILD_HOOK_NAMES, BUILD_HOOK_TIMEOUTS),
    )
    for group, names, (low, high) in groups:
        hooks = raw.get(group) or {}
        if not isinstance(hooks, Mapping):
            raise ValueError(f"Hooks.{group} must be an object")
        for name in names:
            key = name.capitalize()
            timeout_key = f"{key}TimeoutInSeconds"
            timeout = hooks.get(timeout_key)
            if timeout is not None:
                _integer(timeout, f"Hooks.{group}.{timeout_key}", low, high)
            on = _switch(hooks.get(key, "DISABLED"), f"Hooks.{group}.{key}")
            if on and group == "MicrovmHooks":
                timeouts[name] = int(timeout) if timeout is not None else DEFAULT_HOOK_TIMEOUT
    return Hooks(port, timeouts)


def _memory(raw: Any) -> int:
    if not raw:
        return DEFAULT_MEMORY_MIB
    if not isinstance(raw, Sequence) or len(raw) != 1 or not isinstance(raw[0], Mapping):
        raise ValueError("Resources must be a list of one {MinimumMemoryInMiB}")
    mib = raw[0].get("MinimumMemoryInMiB", DEFAULT_MEMORY_MIB)
    if mib not in MEMORY_SIZES_MIB:
        sizes = ", ".join(str(size) for size in MEMORY_SIZES_MIB)
        raise ValueError(f"Resources[0].MinimumMemoryInMiB must be one of {sizes}, got {mib!r}")
    return int(mib)


def _environment(raw: Any) -> dict[str, str]:
    pairs: list[tuple[Any, Any]]
    if not raw:
        return {}
    if isinstance(raw, Mapping):
        pairs = list(raw.items())
    elif isinstance(raw, Sequence) and all(isinstance(item, Mapping) for item in raw):
        pairs = [(item.get("Key"), item.get("Value")) for item in raw]
    else:
        raise ValueError("EnvironmentVariables must be a map or a list of {Key, Value}")
    for key, value in pairs:
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError(
                f"EnvironmentVariables.{key}: only literal strings can run locally, got {value!r}"
            )
    return dict(pairs)


def folder_image(
    name: str,
    folder: Path | str,
    env: Mapping[str, str] | None = None,
    module: str = "agent",
    pythonpath: Sequence[str] = (),
    region: str | None = None,
) -> ImageSpec:
    """An image serving <folder>/<module>.py as its CMD would, with the folder's image definition if any."""
    if not IMAGE_NAME.match(name):
        raise ValueError(f"an image name is 1 to 64 letters, digits, '-' or '_', got {name!r}")
    path = Path(folder).resolve()
    if not (path / f"{module}.py").is_file():
        raise ValueError(f"no {module}.py in {path}")
    definition = read_definition(path) or {}
    try:
        hooks = parse_hooks(definition.get("Hooks"))
        memory = _memory(definition.get("Resources"))
        image_env = _environment(definition.get("EnvironmentVariables"))
    except ValueError as exc:
        raise ValueError(f"{path / DEFINITION}: {exc}") from None
    return ImageSpec(
        name=name,
        arn=image_arn(name, region),
        folder=path,
        module=module,
        env={**image_env, **(env or {})},
        hooks=hooks,
        memory_mib=memory,
        pythonpath=tuple(pythonpath),
        source=str(path / DEFINITION) if definition else str(path),
    )
