"""Copy shared/ into a step folder, so the starter toolkit's build context holds everything.

The toolkit zips the step folder alone and skips symlinks, so a real copy is needed; the
copy is git-ignored and replaced on every run (idempotent).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")


def stage(step: str) -> Path:
    """Replace <step>/shared with a fresh copy of shared/ and return its path."""
    folder = (ROOT / step).resolve()
    # Step folders sit at the top; examples/<name> (e.g. examples/lambda_on_agentcore) too. agent.py for
    # AgentCore apps; lambda_proxy.py for step 5's Lambda (sam build packages the folder).
    entrypoints = ("agent.py", "lambda_proxy.py")
    if folder.parent not in (ROOT, ROOT / "examples") or not any((folder / n).is_file() for n in entrypoints):
        raise SystemExit(f"not a step folder with an agent.py or lambda_proxy.py: {step}")
    target = folder / "shared"
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)
    shutil.copytree(ROOT / "shared", target, ignore=IGNORED)
    return target


def main(argv: list[str]) -> int:
    """Stage each step folder named on the command line."""
    if not argv:
        print("usage: python -m devtools.stage <step folder> [...]", file=sys.stderr)
        return 2
    for step in argv:
        target = stage(step.rstrip("/"))
        then = "sam build" if (target.parent / "template.yaml").is_file() else "agentcore configure"
        print(f"staged {target.relative_to(ROOT)} (git-ignored); now: cd {step} && {then}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
