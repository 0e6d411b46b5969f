"""Import a step's module from its file, under a name of its own, with its folder on sys.path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from devtools.steps import ROOT


def load_module(path: Path, name: str | None = None, fresh: bool = False) -> ModuleType:
    """Import the file under `name` (default: its stem), its folder on sys.path for its neighbours.

    Step folders are not packages (their names start with a digit), and every step's module is called
    agent: a unique name keeps them apart. The folder goes last on sys.path, so `shared` still resolves
    to the one being edited, never to a copy `make stage` left in the folder. Imported once, unless
    `fresh` asks for a new import (module-level clients then bind to the environment as it is now).
    """
    path = path.resolve()
    name = name or path.stem
    if name in sys.modules and not fresh:
        return sys.modules[name]
    for entry in (str(ROOT), str(path.parent)):
        if entry not in sys.path:
            sys.path.append(entry)
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
