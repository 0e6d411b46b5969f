"""What the sections share: options and, lazily, one embedded AWS with its resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from devtools.emulator import EmbeddedAws, Resources


@dataclass
class Context:
    """Options of the run and the shared emulator."""

    rounds: int = 5
    duration: float = 1.5
    warmup: float = 0.3
    sequential_count: int = 100
    footprint: bool = True
    _aws: EmbeddedAws | None = field(default=None, repr=False)
    _resources: Resources | None = field(default=None, repr=False)

    @property
    def aws(self) -> EmbeddedAws:
        if self._aws is None:
            self._aws = EmbeddedAws().start()
        return self._aws

    @property
    def resources(self) -> Resources:
        if self._resources is None:
            self._resources = self.aws.create_resources()
        return self._resources

    def step_env(self) -> dict[str, str]:
        """Environment of a sink step pointed at the emulator."""
        return {**self.aws.env(), **self.resources.env()}

    def close(self) -> None:
        if self._aws is not None:
            self._aws.stop()
            self._aws = None

    def load_spec(self, port: int, payload: Any, concurrency: int) -> dict[str, Any]:
        return {
            "mode": "http",
            "port": port,
            "payload": payload,
            "concurrency": concurrency,
            "duration": self.duration,
            "warmup": self.warmup,
        }
