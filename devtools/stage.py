"""Copy shared/ into a step folder, so the starter toolkit's build context holds everything.

The toolkit zips the step folder alone and skips symlinks, so a real copy is needed; the
copy is git-ignored and replaced on every run (idempotent).
"""

from __future__ import annotations

import filecmp
import shutil
import sys
from pathlib import Path

from devtools.steps import ROOT

IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")


def stage(step: str, into: Path | None = None) -> Path:
    """Replace <step>/shared with a fresh copy of shared/ and return its path.

    `into` stages a copy of the step folder kept elsewhere (the tests do, to leave the checkout alone).
    """
    folder = (ROOT / step).resolve()
    # Step folders sit at the top; examples/<name> (e.g. examples/lambda_on_agentcore) too. agent.py for
    # AgentCore apps; lambda_proxy.py for step 5's Lambda (sam build packages the folder).
    entrypoints = ("agent.py", "lambda_proxy.py")
    if folder.parent not in (ROOT, ROOT / "examples") or not any((folder / n).is_file() for n in entrypoints):
        raise SystemExit(f"not a step folder with an agent.py or lambda_proxy.py: {step}")
    target = (into or folder) / "shared"
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)
    shutil.copytree(ROOT / "shared", target, ignore=IGNORED)
    return target


def _differs(left: Path, right: Path) -> bool:
    cmp = filecmp.dircmp(left, right, ignore=["__pycache__", ".mypy_cache"])
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return True
    _, mismatch, errors = filecmp.cmpfiles(left, right, cmp.common_files, shallow=False)
    return bool(mismatch or errors) or any(_differs(left / d, right / d) for d in cmp.common_dirs)


def refresh_if_stale(folder: Path) -> bool:
    """Re-stage <folder>/shared if an earlier `make stage` left a copy that no longer matches shared/.

    A local run serves the step folder first on sys.path, so an old copy would silently shadow the
    shared/ being edited. Returns True if the copy was replaced.
    """
    target = folder / "shared"
    if not target.exists() or target.resolve() == (ROOT / "shared").resolve():
        return False
    if not _differs(ROOT / "shared", target):
        return False
    stage(str(folder.resolve().relative_to(ROOT)))
    print(f"re-staged {target.relative_to(ROOT)}: it was an old copy of shared/", file=sys.stderr)
    return True


def main(argv: list[str]) -> int:
    """Stage each step folder named on the command line."""
    if argv[:1] == ["--if-stale"]:
        # For local runs (make run): refresh an existing staged copy, never create one.
        for step in argv[1:]:
            refresh_if_stale(ROOT / step.rstrip("/"))
        return 0
    if not argv:
        print("usage: python -m devtools.stage [--if-stale] <step folder> [...]", file=sys.stderr)
        return 2
    for step in argv:
        target = stage(step.rstrip("/"))
        then = "sam build" if (target.parent / "template.yaml").is_file() else "agentcore configure"
        print(f"staged {target.relative_to(ROOT)} (git-ignored); now: cd {step} && {then}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
