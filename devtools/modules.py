"""Import a step's module from its file as its runtime does: its folder, and the repository root, first."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load_module(path: Path, name: str | None = None) -> ModuleType:
    """Import the file once under `name` (default: its stem), its folder first on sys.path.

    Step folders are not packages (their names start with a digit), and every step's module is called
    agent: a unique name keeps them apart. The repository root comes next, so `shared` resolves to the
    one being edited rather than a copy `make stage` left in the folder.
    """
    path = path.resolve()
    name = name or path.stem
    if name in sys.modules:
        return sys.modules[name]
    for entry in (str(ROOT), str(path.parent)):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
