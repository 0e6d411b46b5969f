"""The durable job with the real SAM CLI: `sam validate --lint`, `sam build`, and the built package running a
job on the template's runtime (python3.13) with the durable SDK's runner, against the embedded AWS.

The deploy itself (`sam deploy`) and the `aws lambda` commands of its README need a real account: durable
executions have no local stand-in the CLI can reach (moto has none); the template is checked instead
(tests/on_lambda/durable_job/test_template.py) and the handler runs under the SDK's own runner.
"""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

import pytest

from commands.worlds import Resources
from local_cloud.aws import EmbeddedAws
from tests.commands.deploy.helpers import BIN, find_python, git_status, run, staged_sam_env
from tests.on_lambda.durable_job.helpers import PAYLOAD, probe

FOLDER = "on_lambda/durable_job"
RUNTIME = "3.13"  # template.yaml's python3.13


@pytest.fixture
def durable_sam_env(scratch: Path, proxy_port: int) -> dict[str, str]:
    """Fake credentials and a region for SAM (it never calls AWS here), offline, the durable job staged."""
    return staged_sam_env(scratch, proxy_port, FOLDER)


def test_sam_validate_lint(scratch: Path, durable_sam_env: dict[str, str]) -> None:
    result = run([str(BIN / "sam"), "validate", "--lint"], scratch / FOLDER, durable_sam_env, 300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "is a valid SAM Template" in result.stdout


@pytest.mark.slow
def test_sam_build_makes_a_package_that_runs_a_job(
    scratch: Path, durable_sam_env: dict[str, str], aws_env: EmbeddedAws, resources: Resources
) -> None:
    python, where = find_python(RUNTIME)
    if python is None:
        pytest.skip(f"sam build needs the template's runtime: {where}")
    print(f"sam build with {python} (found on {where})")
    env = {**durable_sam_env, "PATH": os.pathsep.join([str(Path(python).parent), durable_sam_env["PATH"]])}
    built = run([str(BIN / "sam"), "build"], scratch / FOLDER, env, 600)
    assert built.returncode == 0, built.stdout[-4000:]
    package = scratch / FOLDER / ".aws-sam" / "build" / "DurableJobFunction"
    assert (package / "handler.py").is_file() and (package / "shared" / "durable" / "failures.py").is_file()
    # requirements.txt, installed from the wheelhouse: the SDK and boto3 ship in the package.
    assert (package / "aws_durable_execution_sdk_python").is_dir() and (package / "boto3").is_dir()
    assert git_status(scratch) == []  # .aws-sam/ and the staged shared/ are git-ignored

    job_env = {**aws_env.env(), **resources.env(), "PATH": "/usr/bin:/bin", "NO_PROXY": "127.0.0.1,localhost"}
    # The runner is no part of the package: it comes from this venv, after the package's own modules.
    answer = probe(python, package, PAYLOAD, job_env, [sysconfig.get_path("purelib")])

    assert answer["status"] == "SUCCEEDED" and answer["result"]["result"] == 9
    assert answer["python"].startswith(RUNTIME) and answer["sdk"].startswith(str(package))
