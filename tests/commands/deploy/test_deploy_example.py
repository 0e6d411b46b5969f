"""examples/lambda_on_agentcore/README.md's deploy block, as written, against the embedded AWS.

Stage, configure, deploy (container path: the toolkit's CodeBuild source upload), invoke through the local
data plane, destroy: the starter toolkit's CLI through bash on a scratch checkout, the way
test_deploy_toolkit.py deploys the steps. The README's placeholders get the tables and the role made here.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from tests.commands.deploy.helpers import (
    ROOT,
    Target,
    bash,
    local_data_plane,
    printed_json,
    readme_block,
    readme_commands,
)
from tests.examples.helpers import FUNCTION_NAME, create_tables

FOLDER = "examples/lambda_on_agentcore"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "bedrock-agentcore.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.mark.parametrize("target", ["embedded"], indirect=True)
def test_the_example_readme_deploys_invokes_and_destroys(target: Target, scratch: Path) -> None:
    prefix = f"ex{uuid.uuid4().hex[:8]}"
    tables = create_tables(target.client("dynamodb"), prefix)
    role = target.client("iam").create_role(
        RoleName=f"{prefix}-runtime", AssumeRolePolicyDocument=json.dumps(TRUST)
    )
    commands = readme_commands(readme_block(ROOT / FOLDER / "README.md", "agentcore configure"))
    stage, cd, configure, deploy, invoke, destroy = commands
    assert (stage, cd, destroy) == (f"make stage STEP={FOLDER}", f"cd {FOLDER}", "agentcore destroy")
    # make stage runs `python -m commands.stage` (test_readme_commands checks it); placeholders filled in.
    setup = "\n".join(
        [
            f"{sys.executable} -m commands.stage {FOLDER}",
            cd,
            configure.replace("<the role ARN>", role["Role"]["Arn"]),
            deploy.replace("RESULTS_TABLE_NAME=...", f"RESULTS_TABLE_NAME={tables.results}")
            .replace("IDEMPOTENCY_TABLE_NAME=...", f"IDEMPOTENCY_TABLE_NAME={tables.idempotency}")
            .replace("<the Lambda's name>", FUNCTION_NAME),
        ]
    )
    folder = scratch / FOLDER
    try:
        bash(setup, scratch, target.env, 600)
        agent = yaml.safe_load((folder / ".bedrock_agentcore.yaml").read_text())["agents"][
            "lambda_on_agentcore"
        ]
        control = target.client("bedrock-agentcore-control")
        runtime = control.get_agent_runtime(agentRuntimeId=agent["bedrock_agentcore"]["agent_id"])
        assert runtime["roleArn"] == role["Role"]["Arn"]
        assert runtime["environmentVariables"] == {
            "RESULTS_TABLE_NAME": tables.results,
            "IDEMPOTENCY_TABLE_NAME": tables.idempotency,
            "AWS_LAMBDA_FUNCTION_NAME": FUNCTION_NAME,
        }
        with local_data_plane(folder, runtime, target.step_env, {"LOG_LEVEL": "WARNING"}) as plane:
            env = {**target.env, **plane.env}
            first = printed_json(bash(invoke, folder, env, 300))
    finally:
        destroyed = (
            bash(f"{destroy} --force", folder, target.env, 600)
            if folder.joinpath(".bedrock_agentcore.yaml").exists()
            else ""
        )
    assert (first["result"], first["function_name"]) == ("3", FUNCTION_NAME)
    [item] = target.client("dynamodb").scan(TableName=tables.results)["Items"]
    assert (item["id"]["S"], item["result"]["N"], item["client_token"]["S"]) == (first["id"], "3", "t-1")
    assert target.client("dynamodb").scan(TableName=tables.idempotency)["Count"] == 1
    assert destroyed
    with pytest.raises(control.exceptions.ResourceNotFoundException):
        control.get_agent_runtime(agentRuntimeId=agent["bedrock_agentcore"]["agent_id"])
