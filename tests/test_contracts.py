"""The house keeps its shape: the import contracts in pyproject.toml hold over every package, and each
kind of contract does catch a violation (a copy of the tree with one import added)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("shared", "local_cloud", "cost_model", "commands", "harness", "bench", "tests")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_every_contract_is_kept() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "10 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("shared/core/errors.py", "import botocore", "the core is pure"),
        ("shared/aws/clients.py", "import bedrock_agentcore", "what a Lambda runs never needs"),
        ("shared/core/jsonnum.py", "from shared.aws import clients", "shared in slices"),
        ("shared/sinks/writers.py", "from shared.jobs import model", "shared in slices"),
        ("shared/sinks/settings.py", "from shared.model import prompt", "shared in slices"),
        ("shared/durable/retries.py", "from shared.sinks import writers", "shared in slices"),
        ("shared/durable/settings.py", "import aws_durable_execution_sdk_python", "the core is pure"),
        (
            "shared/sinks/writers.py",
            "import aws_durable_execution_sdk_python",
            "the durable execution SDK only in shared.durable",
        ),
        (
            "shared/durable/failures.py",
            "import aws_durable_execution_sdk_python_testing",
            "never imports the durable SDK's test runner",
        ),
        (
            "local_cloud/agentcore/plane.py",
            "import harness.records",
            "the local cloud and the cost model run on their own",
        ),
        ("commands/stage.py", "import harness.step_server", "the product never imports the harness"),
        (
            "local_cloud/agentcore/wire.py",
            "from local_cloud.agentcore import plane",
            "no two modules import each other",
        ),
    ],
)
def test_a_violation_breaks_its_contract(tmp_path: Path, module: str, line: str, broken: str) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(f"{line}  # noqa\n" + target.read_text())

    result = lint_imports(tmp_path)

    assert result.returncode == 1
    assert broken in result.stdout and "BROKEN" in result.stdout
