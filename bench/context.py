"""What the sections share: options and, lazily, one embedded AWS with its resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from commands.worlds import Resources, create_sinks
from local_cloud.aws import EmbeddedAws

from .pin import cpu_split


@dataclass
class Context:
    """Options of the run and the shared emulator."""

    rounds: int = 7
    duration: float = 1.5
    warmup: float = 0.3
    sequential_count: int = 100
    footprint: bool = True
    pin: bool = True
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
            self._resources = create_sinks(self.aws)
        return self._resources

    @property
    def server_cpus(self) -> frozenset[int] | None:
        """CPUs for a server under a throughput test (None: unpinned)."""
        split = cpu_split() if self.pin else None
        return split[0] if split else None

    @property
    def load_cpus(self) -> frozenset[int] | None:
        """CPUs for the load generator of a throughput test (None: unpinned)."""
        split = cpu_split() if self.pin else None
        return split[1] if split else None

    def placement(self) -> str:
        """One line on where servers and load ran, for the notes."""
        if self.server_cpus is None:
            return "server and load generator unpinned (one CPU, or --no-pin)"
        cpus = ",".join(map(str, sorted(self.load_cpus or ())))
        return f"server pinned to CPU {min(self.server_cpus)}, load generator to CPU {cpus} (bench.pin)"

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
