"""The Lambda package holds lambda_proxy.py, api_schema.py, shared/ (make stage) and requirements.txt (boto3
and Powertools): the handler must import with nothing else, or every route fails in AWS while every local
test passes."""

from __future__ import annotations

import subprocess
import sys

from tests.steps.step5.support import STEP5

# What `sam build` installs for requirements.txt (boto3, Powertools and their dependencies), plus the code.
LAMBDA_PACKAGE = {
    "boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six", "aws_lambda_powertools",
    "typing_extensions", "shared", "lambda_proxy", "api_schema",
}  # fmt: skip

PROBE = r"""
import importlib.abc, sys
allowed = set(sys.argv[1].split(",")) | set(sys.stdlib_module_names)

class OnlyTheLambdaPackage(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top not in allowed and not top.startswith("_"):
            raise ModuleNotFoundError(f"No module named {name!r} (not in the Lambda package)")
        return None

sys.meta_path.insert(0, OnlyTheLambdaPackage())
sys.path.insert(0, sys.argv[2])
import lambda_proxy
from shared.apigw import routes
assert set(routes(lambda_proxy.app)) == {
    ("POST", "/calculate"), ("POST", "/jobs"), ("GET", "/jobs/{id}"), ("DELETE", "/jobs/{id}")
}
for name in sys.modules:
    assert name.split(".")[0] not in ("pydantic", "bedrock_agentcore", "starlette"), name
"""


def test_requirements_are_boto3_and_powertools_pinned() -> None:
    lines = [line.strip() for line in (STEP5 / "requirements.txt").read_text().splitlines()]
    pinned = [line.split("==") for line in lines if line and not line.startswith("#")]
    assert [name for name, _ in pinned] == ["boto3", "aws-lambda-powertools"]
    assert all(version for _, version in pinned)


def test_handler_imports_with_the_lambda_package_only() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(sorted(LAMBDA_PACKAGE)), str(STEP5)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=STEP5.parent,
    )

    assert result.returncode == 0, result.stderr[-2000:]
