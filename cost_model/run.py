"""What a cost-model run prices and how it is shown: the workload, its description and assumptions, the
homes and options compared."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .model import Homes
from .workload import Workload

__all__ = ["Run"]


@dataclass(frozen=True)
class Run:
    """A parsed command line: the workload and how to show it."""

    workload: Workload
    describe: str
    assumptions: tuple[str, ...]
    free_tier: bool
    architecture: str
    versions: tuple[str, ...]
    idle_timeout: int | None
    json: bool = False
    plot: Path | None = None
    homes: Homes = field(default_factory=Homes)
