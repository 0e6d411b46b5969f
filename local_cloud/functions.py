"""Code the local cloud runs in-process, as Lambda's runtime does: a module imported from its file under a
name of its own, and a handler named `file.py:function`."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["Handler", "load_handler", "load_module"]

Handler = Callable[[Any, Any], Any]


def load_module(
    path: Path, name: str | None = None, fresh: bool = False, roots: Sequence[Path] = ()
) -> ModuleType:
    """Import the file under `name` (default: its stem), `roots` then its folder on sys.path.

    A function's folder is not a package, and every step's module is called the same (agent, handler): a
    unique name keeps them apart. The folder goes last on sys.path, so an import root given first (a
    checkout's `shared`) wins over a staged copy in the folder. Imported once, unless `fresh` asks for a
    new import (module-level clients then bind to the environment as it is now).
    """
    path = path.resolve()
    name = name or path.stem
    if name in sys.modules and not fresh:
        return sys.modules[name]
    for entry in (*map(str, roots), str(path.parent)):
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


def load_handler(ref: str, roots: Sequence[Path] = ()) -> Handler:
    """Import a handler named `path/to/file.py:function`, as Lambda resolves `file.function`."""
    path, sep, function = ref.rpartition(":")
    if not sep or not path.endswith(".py"):
        raise ValueError(f"a handler is FILE.py:FUNCTION, got {ref!r}")
    # Under its file's name, as Lambda imports `lambda_proxy.handler`'s module.
    module = load_module(Path(path), roots=roots)
    handler = getattr(module, function, None)
    if not callable(handler):
        raise ValueError(f"{path} has no function {function}")
    return handler  # type: ignore[no-any-return]
