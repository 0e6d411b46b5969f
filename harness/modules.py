"""Import a step's module from its file (local_cloud.functions.load_module), the checkout's root first."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from commands.steps import ROOT
from local_cloud.functions import load_module as _load

__all__ = ["load_module"]


def load_module(path: Path, name: str | None = None, fresh: bool = False) -> ModuleType:
    """Import the file under `name` (default: its stem) with the repository root on sys.path first."""
    return _load(path, name, fresh, roots=(ROOT,))
