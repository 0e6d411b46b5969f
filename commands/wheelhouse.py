"""Download the wheels the deploy tests build with, so `agentcore deploy` and `sam build` run offline.

Direct code deploy makes the starter toolkit run `uv pip install --python-platform aarch64-manylinux2014
--python-version <runtime> --only-binary :all: -r requirements.txt`, and `sam build` pip-installs step 5's
and the on_lambda/ functions' requirements: all would reach the package index. The bootstrap (`make`) runs
this once; the tests point uv and pip at the folder with `UV_OFFLINE`/`UV_FIND_LINKS` and
`PIP_NO_INDEX`/`PIP_FIND_LINKS`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .steps import ROOT, STEPS

# The Python the runtimes run: the steps' images (python:3.12-slim), `--runtime PYTHON_3_12` for direct code
# deploy (commands.deploy) and step 5's Lambda (template.yaml: python3.12).
RUNTIME_PYTHON = "3.12"
# AgentCore Runtime is linux/arm64; uv's first choice for it is manylinux2014 (manylinux_2_17).
PLATFORM = "manylinux2014_aarch64"
# The on_lambda/ functions run a newer Python (on_lambda/*/template.yaml: python3.13); their wheels go into
# the same folder (pure Python today: the durable execution SDK and boto3).
ON_LAMBDA_PYTHON = "3.13"


def wheelhouse(prefix: Path | None = None) -> Path:
    """Return the wheel folder of the venv at `prefix` (default: the running one)."""
    return (prefix or Path(sys.prefix)) / "wheelhouse" / f"{PLATFORM}-cp{RUNTIME_PYTHON.replace('.', '')}"


def download(target: Path) -> None:
    """Download every step's requirements as aarch64 wheels for the runtime's Python into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    wanted = [(ROOT / step / "requirements.txt", RUNTIME_PYTHON) for step in STEPS]
    wanted += [(path, ON_LAMBDA_PYTHON) for path in sorted(ROOT.glob("on_lambda/*/requirements.txt"))]
    for requirements, python in wanted:
        subprocess.run(
            [
                sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                "--only-binary=:all:", "--platform", PLATFORM, "--implementation", "cp",
                "--python-version", python, "--dest", str(target), "-r", str(requirements),
            ],
            check=True,
        )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Fill the wheelhouse of this venv (or of the folder given)."""
    target = Path(argv[0]) if argv else wheelhouse()
    download(target)
    print(f"wheelhouse: {len(list(target.glob('*.whl')))} wheels in {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
