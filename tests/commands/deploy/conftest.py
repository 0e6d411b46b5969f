"""Where the deploy tests deploy: the embedded AWS (always), or a real account (RUN_AWS_TESTS=1)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from commands.worlds import create_sinks
from local_cloud.aws import EmbeddedAws
from tests.commands.deploy.helpers import ROOT, Target, base_env, checkout, closed_port, offline


@pytest.fixture(scope="session")
def proxy_port() -> Iterator[int]:
    """A loopback port nobody listens on: every subprocess's HTTP(S)_PROXY, so no request leaves unseen."""
    sock = closed_port()
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture(scope="session")
def embedded_target(moto_server: EmbeddedAws, proxy_port: int) -> Target:
    """The sinks and roles stacks deployed from infra/ into the embedded AWS, once per session."""
    name = f"d{uuid.uuid4().hex[:10]}"
    create_sinks(moto_server, name)
    outputs = moto_server.deploy_stack(
        f"{name}-roles",
        ROOT / "infra" / "roles.yaml",
        {"SinksStackName": f"{name}-sinks"},
        ("CAPABILITY_IAM",),
    )
    aws_env = {
        **moto_server.env(),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    # The toolkit passes explicit control-plane endpoints: AWS_ENDPOINT_URL alone does not reach them.
    cli_env = {**aws_env, "BEDROCK_AGENTCORE_CP_ENDPOINT": moto_server.endpoint_url}
    return Target(
        "embedded",
        f"{name}-roles",
        outputs,
        offline(base_env(cli_env), proxy_port),
        moto_server.client,
        aws_env,
    )


@pytest.fixture(scope="session")
def aws_target() -> Iterator[Target]:
    """The same stacks in the real account of the caller's credentials; deleted at the end, whatever failed."""
    import boto3

    name = f"agentcore-lambda-t{uuid.uuid4().hex[:8]}"
    session = boto3.session.Session()
    cfn = session.client("cloudformation")
    agent_names = {f"Step{n}AgentName": f"t{uuid.uuid4().hex[:8]}_step{n}" for n in range(1, 5)}
    created: list[str] = []
    try:
        _create_stack(cfn, f"{name}-sinks", ROOT / "infra" / "sinks.yaml", {"ResourcePrefix": name[:27]})
        created.append(f"{name}-sinks")
        outputs = _create_stack(
            cfn,
            f"{name}-roles",
            ROOT / "infra" / "roles.yaml",
            {"SinksStackName": f"{name}-sinks", **agent_names},
            ("CAPABILITY_IAM",),
        )
        created.append(f"{name}-roles")
        yield Target("aws", f"{name}-roles", outputs, base_env({}), session.client, extra_names=agent_names)
    finally:
        _delete_stacks(session, cfn, list(reversed(created)))


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Target:
    """The target a parametrized test names: 'embedded' or 'aws'."""
    return request.getfixturevalue(f"{request.param}_target")  # type: ignore[no-any-return]


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A fresh git checkout of the working tree (tracked and unignored files) to run README commands in."""
    return checkout(tmp_path / "checkout")


def _create_stack(
    cfn: Any, stack: str, template: Path, parameters: dict[str, str], capabilities: tuple[str, ...] = ()
) -> dict[str, str]:
    cfn.create_stack(
        StackName=stack,
        TemplateBody=template.read_text(encoding="utf-8"),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=list(capabilities),
    )
    cfn.get_waiter("stack_create_complete").wait(
        StackName=stack, WaiterConfig={"Delay": 10, "MaxAttempts": 60}
    )
    described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def _delete_stacks(session: Any, cfn: Any, stacks: list[str]) -> None:
    for stack in stacks:
        if stack.endswith("-sinks"):
            _empty_buckets(session, cfn, stack)
        cfn.delete_stack(StackName=stack)
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            try:
                status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
            except cfn.exceptions.ClientError:
                break
            if status == "DELETE_COMPLETE":
                break
            time.sleep(10)


def _empty_buckets(session: Any, cfn: Any, stack: str) -> None:
    s3 = session.resource("s3")
    for res in cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]:
        if res["ResourceType"] == "AWS::S3::Bucket":
            s3.Bucket(res["PhysicalResourceId"]).objects.all().delete()
