"""`make deploy STEP=...`: stage a step, configure it with the infra role outputs and deploy it.

The one source of the deploy commands: it prints each `agentcore` command as it runs it (the starter
toolkit's, from this venv), the step READMEs show the same commands (`--dry-run` prints them with the
README's `$(out ...)` placeholders, and a test keeps both equal), and the deploy tests run this module
against the embedded AWS and, with RUN_AWS_TESTS=1, against a real account.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shared.jobs.settings import RUNTIME_MAX_LIFETIME_SECONDS

from .stage import stage
from .steps import ROOT
from .wheelhouse import RUNTIME_PYTHON

ROLES_STACK = "agentcore-lambda-roles"
# What UpdateAgentRuntime must be given again to keep it (it replaces the runtime's configuration).
_UPDATABLE = (
    "agentRuntimeArtifact", "roleArn", "networkConfiguration", "description", "authorizerConfiguration",
    "requestHeaderConfiguration", "protocolConfiguration", "environmentVariables",
)  # fmt: skip
DEPLOYMENT_TYPES = ("container", "direct_code_deploy")
# Direct code deploy runs the Python of the images (python:3.12-slim), whatever Python runs the toolkit.
DIRECT_CODE_RUNTIME = "PYTHON_" + RUNTIME_PYTHON.replace(".", "_")


@dataclass(frozen=True)
class StepDeploy:
    """What a step is deployed with: its runtime name, role output, settings and lifecycle."""

    name: str
    role_output: str | None  # None: the toolkit creates an execution role (step 0 calls Bedrock)
    env_outputs: Mapping[str, str] = field(default_factory=dict)  # variable -> roles stack output
    env: Mapping[str, str] = field(default_factory=dict)  # fixed settings
    idle_timeout: int | None = None  # seconds; None keeps the service's default (900)
    max_lifetime: int | None = None  # seconds; None keeps the service's default (28,800)
    # Runs async jobs: it must know its maxLifetime to refuse a job that could not finish within it.
    jobs: bool = False


STEPS: dict[str, StepDeploy] = {
    "0_run_default_agentcore": StepDeploy("step0_default_agent", None),
    "1_compute_without_model": StepDeploy("step1_compute", "Step1RoleArn"),
    "2_sqs_sink": StepDeploy("step2_sqs_sink", "Step2RoleArn", {"SQS_QUEUE_URL": "Step2SqsQueueUrl"}),
    "3_s3_sink": StepDeploy(
        "step3_s3_sink", "Step3RoleArn", {"S3_BUCKET_NAME": "Step3S3BucketName", "S3_PREFIX": "Step3S3Prefix"}
    ),
    "4_dynamodb_sink": StepDeploy(
        "step4_dynamodb_sink",
        "Step4RoleArn",
        {"DYNAMODB_TABLE_NAME": "Step4DynamoDbTableName"},
        {"TTL_DAYS": "30"},
        jobs=True,
    ),
}


@dataclass(frozen=True)
class Plan:
    """The agentcore commands for one step, run in its folder."""

    step: str
    configure: list[str]
    deploy: list[str]

    def lines(self) -> list[str]:
        """The commands as a user types them."""
        return [f"cd {self.step}", shell(self.configure), shell(self.deploy)]


def shell(command: list[str]) -> str:
    """Quote a command for a shell; `$(out ...)` placeholders in double quotes, so the shell expands them."""
    words = []
    for word in command:
        head, sep, tail = word.partition("$(out ")
        words.append(f'{head}"{sep}{tail}"' if sep else shlex.quote(word))
    return " ".join(words)


def plan(
    step: str,
    outputs: Mapping[str, str],
    deployment_type: str = "container",
    idle_timeout: int | None = None,
    max_lifetime: int | None = None,
    name: str | None = None,
) -> Plan:
    """Build the configure and deploy commands of a step from the roles stack's outputs."""
    spec = STEPS[step]
    configure = ["agentcore", "configure", "--entrypoint", "agent.py", "--name", name or spec.name]
    if spec.role_output:
        configure += ["--execution-role", outputs[spec.role_output]]
    configure += ["--deployment-type", deployment_type]
    if deployment_type == "direct_code_deploy":
        configure += ["--runtime", DIRECT_CODE_RUNTIME]
    idle = idle_timeout if idle_timeout is not None else spec.idle_timeout
    lifetime = max_lifetime if max_lifetime is not None else spec.max_lifetime
    if idle is not None:
        configure += ["--idle-timeout", str(idle)]
    if lifetime is not None:
        configure += ["--max-lifetime", str(lifetime)]
    configure += ["--disable-memory", "--non-interactive"]
    deploy = ["agentcore", "deploy"]
    settings = {**{var: outputs[out] for var, out in spec.env_outputs.items()}, **spec.env}
    if spec.jobs and lifetime is not None:
        # The runtime reads the maxLifetime its lifecycle configuration gets, to refuse jobs beyond it.
        settings[RUNTIME_MAX_LIFETIME_SECONDS] = str(lifetime)
    for var, value in settings.items():
        deploy += ["--env", f"{var}={value}"]
    return Plan(step, configure, deploy)


class Placeholders(dict[str, str]):
    """Stack outputs as the READMEs write them: `$(out Name)`, the helper infra/README.md defines."""

    def __missing__(self, key: str) -> str:
        return f"$(out {key})"


def stack_outputs(stack_name: str) -> dict[str, str]:
    """Read a CloudFormation stack's outputs (the `out` helper of infra/README.md) with boto3."""
    import boto3

    stack = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def agentcore() -> str:
    """The starter toolkit's `agentcore` of this venv (never PATH's: the npm AgentCore CLI has that name)."""
    return str(Path(sys.executable).parent / "agentcore")


def run(the_plan: Plan, folder: Path) -> None:
    """Print and run each command of the plan in the step folder; stop at the first failure."""
    print(f"+ cd {the_plan.step}", flush=True)
    for command in (the_plan.configure, the_plan.deploy):
        print(f"+ {shell(command)}", flush=True)
        # The toolkit's "no longer supported" banner tells a deploy nothing (the README says why we use it).
        env = {**os.environ, "AGENTCORE_SUPPRESS_RECOMMENDATION": "1"}
        subprocess.run([agentcore(), *command[1:]], cwd=folder, env=env, check=True)
    if "direct_code_deploy" in the_plan.configure:
        keep_lifecycle(folder, the_plan.configure)


def keep_lifecycle(folder: Path, configure: list[str]) -> None:
    """Apply configure's lifecycle settings to a direct code deploy runtime, which toolkit 0.3.14 drops.

    Its container path passes them to CreateAgentRuntime; its direct code deploy path does not (the yaml
    keeps them, the runtime gets the service's defaults). UpdateAgentRuntime with everything else as is.
    """
    wanted = {
        key: int(configure[configure.index(flag) + 1])
        for flag, key in (("--idle-timeout", "idleRuntimeSessionTimeout"), ("--max-lifetime", "maxLifetime"))
        if flag in configure
    }
    if not wanted:
        return
    import boto3
    import yaml

    config = yaml.safe_load((folder / ".bedrock_agentcore.yaml").read_text(encoding="utf-8"))
    agent_id = config["agents"][config["default_agent"]]["bedrock_agentcore"]["agent_id"]
    # The toolkit's own control-plane override (BEDROCK_AGENTCORE_CP_ENDPOINT), so both reach the same API.
    control = boto3.client(
        "bedrock-agentcore-control", endpoint_url=os.environ.get("BEDROCK_AGENTCORE_CP_ENDPOINT")
    )
    runtime = control.get_agent_runtime(agentRuntimeId=agent_id)
    if runtime.get("lifecycleConfiguration") == wanted:
        return
    print(
        f"+ # toolkit 0.3.14 left out the lifecycle settings: UpdateAgentRuntime {agent_id} {wanted}",
        flush=True,
    )
    kept = {key: runtime[key] for key in _UPDATABLE if runtime.get(key)}
    control.update_agent_runtime(agentRuntimeId=agent_id, lifecycleConfiguration=wanted, **kept)


def main(argv: list[str] | None = None) -> int:
    """Stage, configure and deploy one step (or print its commands with --dry-run)."""
    parser = argparse.ArgumentParser(prog="deploy-step", description=__doc__)
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("--deployment-type", choices=DEPLOYMENT_TYPES, default="container")
    parser.add_argument("--roles-stack", default=ROLES_STACK, help="stack deployed from infra/roles.yaml")
    parser.add_argument("--idle-timeout", type=int, help="idleRuntimeSessionTimeout, seconds (60 to 28,800)")
    parser.add_argument("--max-lifetime", type=int, help="maxLifetime, seconds (60 to 28,800)")
    parser.add_argument(
        "--name", help="runtime name (default: the step's; the roles stack scopes its role by it)"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the commands as the READMEs write them")
    args = parser.parse_args(argv)
    needs_outputs = STEPS[args.step].role_output or STEPS[args.step].env_outputs
    outputs: Mapping[str, str] = (
        Placeholders() if args.dry_run or not needs_outputs else stack_outputs(args.roles_stack)
    )
    the_plan = plan(args.step, outputs, args.deployment_type, args.idle_timeout, args.max_lifetime, args.name)
    if args.dry_run:
        print("\n".join(the_plan.lines()))
        return 0
    target = stage(args.step)
    print(f"staged {target.relative_to(ROOT)} (git-ignored); agentcore = {agentcore()}", flush=True)
    try:
        run(the_plan, target.parent)
    except subprocess.CalledProcessError as exc:
        print(f"failed ({exc.returncode}): {shlex.join(exc.cmd)}", file=sys.stderr)
        return exc.returncode
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
