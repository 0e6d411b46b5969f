"""local_cloud/README.md's MicroVMs plane commands as a user pastes them: `microvms-local`, then the AWS
CLI block and the boto3 block against it."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys

import pytest

from commands.steps import ROOT
from tests.commands.deploy.helpers import bash, readme_block
from tests.local_cloud.helpers import readme_server

README = ROOT / "local_cloud" / "README.md"
PLANE_LINE = re.compile(r"^Lambda MicroVMs plane at (http://127\.0\.0\.1:\d+)$")


def _python_block(containing: str) -> str:
    for block in re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        if containing in block:
            return str(block)
    raise AssertionError(f"no python block with {containing!r} in {README}")


@pytest.mark.slow  # the AWS CLI and a Python with boto3, each started a few times
def test_the_cli_and_boto3_blocks_run_as_written() -> None:
    cli = readme_block(README, "lambda-microvms run-microvm \\\n  --image-identifier")
    boto3_block = _python_block('boto3.client("lambda-microvms")')
    with readme_server(README, "microvms-local --image step1", PLANE_LINE) as port:
        printed = bash(cli.replace("8082", str(port)), timeout=120).splitlines()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            "AWS_ENDPOINT_URL_LAMBDA_MICROVMS": f"http://127.0.0.1:{port}",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        }  # fmt: skip
        done = subprocess.run([sys.executable, "-c", boto3_block], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=60)  # fmt: skip

    run = json.loads("".join(printed[: printed.index("]") + 1]))
    microvm_id, state = run
    assert microvm_id.startswith("mvm-") and state in ("PENDING", "RUNNING")
    assert any(line.split("\t")[0] == microvm_id for line in printed)
    [view] = json.loads(printed[-1])
    assert view["microvm_id"] == microvm_id and view["image"] == "step1"
    assert done.returncode == 0, done.stderr
    assert ast.literal_eval(done.stdout.strip()) == {"result": 3}
