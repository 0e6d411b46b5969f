"""`make stage STEP=<folder>`: copy into a step folder the modules of shared/ its code imports (computed,
not listed), so the starter toolkit's build context (the folder alone) holds everything the step runs.

The toolkit zips the step folder and skips symlinks, so a real copy is needed; the copy is git-ignored
and replaced on every run (idempotent).
"""

from __future__ import annotations

import argparse
import filecmp
import modulefinder
import os
import shutil
import sys
from pathlib import Path

from .errors import fail
from .steps import ROOT

__all__ = ["needed_modules", "refresh_if_stale", "stage", "staged_files"]

IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")
# The files a step's build context runs: an AgentCore app's agent.py, step 5's and step 6's Lambda code.
ENTRYPOINTS = ("agent.py", "lambda_proxy.py", "starter.py", "handler.py")


def needed_modules(folder: Path) -> dict[str, Path]:
    """The modules of shared/ (name -> file) that the folder's top-level .py files import, transitively."""
    # Only this checkout on the search path: third-party imports are not followed (they are the image's
    # requirements), and the folder's own neighbours (step 5's api_schema) are in the folder anyway.
    finder = modulefinder.ModuleFinder(path=[str(ROOT)])
    for script in sorted(folder.glob("*.py")):
        finder.run_script(str(script))
    found = {name: getattr(module, "__file__", None) for name, module in finder.modules.items()}
    return {
        name: Path(file)
        for name, file in found.items()
        if (name == "shared" or name.startswith("shared.")) and file
    }


def staged_files(folder: Path) -> list[Path]:
    """The files `make stage` copies for this folder, relative to the checkout (shared/... paths)."""
    return sorted(path.resolve().relative_to(ROOT) for path in needed_modules(folder).values())


def _step_folder(step: str) -> Path:
    folder = (ROOT / step).resolve()
    # Step folders sit at the top; examples/<name> and on_lambda/<name> too.
    homes = (ROOT, ROOT / "examples", ROOT / "on_lambda")
    if folder.parent not in homes or not any((folder / n).is_file() for n in ENTRYPOINTS):
        raise SystemExit(
            fail(f"not a step folder with {', '.join(ENTRYPOINTS[:-1])} or {ENTRYPOINTS[-1]}: {step}")
        )
    return folder


def stage(step: str, into: Path | None = None) -> Path:
    """Replace <step>/shared with a fresh copy of the shared/ modules the step imports; return its path.

    `into` stages a copy of the step folder kept elsewhere (the tests do, to leave the checkout alone).
    """
    folder = _step_folder(step)
    target = (into or folder) / "shared"
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)
    for relative in staged_files(folder):
        destination = (into or folder) / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, destination)
    return target


def _stale(folder: Path, target: Path) -> bool:
    wanted = {path.relative_to("shared") for path in staged_files(folder)}
    present = {p.relative_to(target) for p in target.rglob("*.py") if "__pycache__" not in p.parts}
    if wanted != present:
        return True
    _, mismatch, errors = filecmp.cmpfiles(ROOT / "shared", target, [str(p) for p in wanted], shallow=False)
    return bool(mismatch or errors)


def refresh_if_stale(folder: Path) -> bool:
    """Re-stage <folder>/shared if an earlier `make stage` left a copy that no longer matches shared/.

    A local run serves the step folder first on sys.path, so an old copy would silently shadow the
    shared/ being edited. Returns True if the copy was replaced.
    """
    target = folder / "shared"
    if not target.exists() or target.resolve() == (ROOT / "shared").resolve():
        return False
    if not _stale(folder, target):
        return False
    stage(str(folder.resolve().relative_to(ROOT)))
    print(f"re-staged {target.relative_to(ROOT)}: it was an old copy of shared/", file=sys.stderr)
    return True


def main(argv: list[str] | None = None) -> int:
    """Stage each step folder named on the command line (`--if-stale`: refresh existing copies only)."""
    parser = argparse.ArgumentParser(prog="stage-step", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--if-stale", action="store_true", help="refresh an existing staged copy, never create one"
    )
    parser.add_argument("steps", nargs="+", metavar="STEP_FOLDER")
    args = parser.parse_args(argv)
    for step in args.steps:
        step = step.rstrip("/")
        if args.if_stale:
            refresh_if_stale(ROOT / step)
            continue
        target = stage(step)
        files = staged_files(target.parent)
        # Paths a user can paste at the repository root: the tools live in .venv/bin (on_lambda/<name> and
        # examples/<name> are a level deeper than the steps).
        tools = Path(os.path.relpath(ROOT / ".venv" / "bin", target.parent))
        then = (
            f"{tools / 'sam'} build"
            if (target.parent / "template.yaml").is_file()
            else f"{tools / 'agentcore'} configure"
        )
        staged = target.relative_to(ROOT)
        print(f"staged {staged} (git-ignored): the {len(files)} modules of shared/ {step} imports")
        print(f"now: cd {step} && {then}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
