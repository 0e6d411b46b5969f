"""`stage-step on_lambda/durable_job` copies exactly the shared/ modules the handler imports, and the folder
alone (what `sam build` packages) runs a job."""

from __future__ import annotations

import shutil
import sys
import sysconfig
from pathlib import Path

from commands.stage import stage, staged_files
from commands.worlds import DURABLE_JOB, Resources
from local_cloud.aws import EmbeddedAws
from tests.on_lambda.durable_job.helpers import PAYLOAD, probe


def test_only_the_slices_the_handler_imports_are_staged() -> None:
    staged = {path.as_posix() for path in staged_files(DURABLE_JOB)}
    slices = {path.split("/")[1] for path in staged if path.count("/") > 1}

    assert slices == {"core", "aws", "sinks", "durable"}  # no AgentCore glue, jobs, runtime client or model
    assert {"shared/durable/failures.py", "shared/durable/retries.py", "shared/sinks/writers.py"} <= staged
    assert "shared/jobs/model.py" not in staged and "shared/agentcore/__init__.py" not in staged


def test_the_staged_folder_alone_runs_a_job(
    tmp_path: Path, aws_env: EmbeddedAws, resources: Resources
) -> None:
    copy = tmp_path / "durable_job"
    shutil.copytree(DURABLE_JOB, copy, ignore=shutil.ignore_patterns("__pycache__", "shared", ".aws-sam"))
    stage("on_lambda/durable_job", into=copy)

    env = {**aws_env.env(), **resources.env(), "PATH": "/usr/bin:/bin"}
    # The SDK is a requirement the package installs: here it comes from the venv, after the folder.
    answer = probe(sys.executable, copy, PAYLOAD, env, [sysconfig.get_path("purelib")])

    assert answer["status"] == "SUCCEEDED" and answer["result"]["result"] == 9
    item = aws_env.client("dynamodb").get_item(
        TableName=resources.table_name, Key={"id": {"S": answer["result"]["item_id"]}}, ConsistentRead=True
    )["Item"]
    assert item["source"] == {"S": "lambda-durable"}
