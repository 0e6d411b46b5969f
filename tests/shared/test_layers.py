"""shared/ stays in layers: the import contracts in pyproject.toml hold, and they do catch a violation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_layer_contracts_are_kept() -> None:
    result = lint_imports(ROOT, ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "4 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("core/errors.py", "import botocore", "the core is pure"),
        ("aws/clients.py", "import bedrock_agentcore", "the AWS layer never imports"),
        ("core/jsonnum.py", "from shared.aws import clients", "shared in layers"),
        ("apigw/api.py", "from shared.agentcore import endpoint", "shared in layers"),
    ],
)
def test_a_violation_breaks_its_contract(tmp_path: Path, module: str, line: str, broken: str) -> None:
    shutil.copytree(ROOT / "shared", tmp_path / "shared", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "shared" / module
    target.write_text(f"{line}  # noqa\n" + target.read_text())

    result = lint_imports(tmp_path, tmp_path)

    assert result.returncode == 1
    assert f"{broken}" in result.stdout and "BROKEN" in result.stdout
