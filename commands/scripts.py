"""How to name one of our console scripts in a line a user can paste: `.venv/bin/<name>` at the repository
root (where the bootstrap put it), else the path of the one running now."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["script"]


def script(name: str) -> str:
    """The command to type for console script `name`, relative to the current directory where it can be."""
    path = Path(sys.executable).parent / name
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path) if path.exists() else name
