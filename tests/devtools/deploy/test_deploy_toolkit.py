"""`make deploy`, `agentcore invoke` and `agentcore destroy` as users run them, for every step and both paths.

The real starter toolkit runs as a subprocess on a scratch checkout, against the embedded AWS (moto's
server with the gaps devtools.emulator.fill_moto_gaps fills) or, with RUN_AWS_TESTS=1, a real account.
Every subprocess of the embedded run gets a proxy nobody listens on: uv builds from the wheelhouse, and
anything that would reach the internet fails.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from devtools.deploy import STEPS
from tests.devtools.deploy.helpers import (
    BAD,
    GOOD,
    ROOT,
    DataPlane,
    Target,
    agentcore,
    deploy_command,
    expected_settings,
    git_status,
    landed_record,
    lifecycle,
    local_data_plane,
    plant_decoys,
    printed_commands,
    printed_json,
    run,
    top_level,
    uploaded_artifact,
)
from tests.steps.step0.fake_bedrock import FakeBedrock

TYPES = ("container", "direct_code_deploy")
TARGETS = ["embedded", pytest.param("aws", marks=pytest.mark.aws)]
# Lifecycle settings passed through make deploy (ARGS=...) in two of the cases; the rest keep the defaults.
LIFECYCLE_ARGS = {
    ("1_compute_without_model", "container"): ("--idle-timeout", "60", "--max-lifetime", "900"),
    ("3_s3_sink", "direct_code_deploy"): ("--idle-timeout", "120"),
}
RESULTS = ROOT / "bench" / "aws_deploy_latency.json"


@pytest.mark.parametrize("target", TARGETS, indirect=True)
@pytest.mark.parametrize("deployment_type", TYPES)
@pytest.mark.parametrize("step", sorted(STEPS))
def test_deploy_invoke_destroy(
    step: str, deployment_type: str, target: Target, scratch: Path, tmp_path: Path
) -> None:
    spec = STEPS[step]
    extra = LIFECYCLE_ARGS.get((step, deployment_type), ())
    name = spec.name
    if not target.embedded:
        name = target.extra_names.get(f"Step{step[0]}AgentName", f"t{uuid.uuid4().hex[:8]}_step0")
        extra = (*extra, "--name", name)
    folder = scratch / step

    # make deploy: stages shared/, configures with the roles stack's outputs, deploys; prints each command.
    (folder / "shared").mkdir()  # a stale staged copy must be replaced, not merged into
    decoys = plant_decoys(folder)
    deployed = run(deploy_command(step, deployment_type, target.roles_stack, extra), scratch, target.env, 900)
    try:
        assert deployed.returncode == 0, deployed.stdout[-6000:]
        for line in printed_commands(step, target.outputs, deployment_type, extra)[1:]:
            assert line in deployed.stdout, f"{line!r} not printed:\n{deployed.stdout[-3000:]}"

        config = yaml.safe_load((folder / ".bedrock_agentcore.yaml").read_text())
        agent = config["agents"][name]
        assert config["default_agent"] == name
        assert (agent["entrypoint"], agent["platform"], agent["deployment_type"]) == (
            str(folder / "agent.py"),
            "linux/arm64",
            deployment_type,
        )
        assert (folder / "Dockerfile").read_bytes() == (ROOT / step / "Dockerfile").read_bytes()
        if deployment_type == "container":
            # The toolkit builds from a byte copy of the folder's own Dockerfile.
            copy = folder / ".bedrock_agentcore" / name / "Dockerfile"
            assert copy.read_bytes() == (ROOT / step / "Dockerfile").read_bytes()
        # Only the decoys this test planted: the staged shared/, the yaml, caches are all git-ignored.
        assert sorted(git_status(scratch)) == sorted(
            f"?? {d}" for d in decoys if not d.endswith((".venv/bin/python", ".git/HEAD"))
        )

        control = target.client("bedrock-agentcore-control")
        runtime = control.get_agent_runtime(agentRuntimeId=agent["bedrock_agentcore"]["agent_id"])
        settings = expected_settings(step, target.outputs)
        if spec.role_output:
            assert runtime["roleArn"] == target.outputs[spec.role_output]
        else:
            assert runtime["roleArn"] == agent["aws"]["execution_role"]  # the one the toolkit created
        assert runtime.get("environmentVariables", {}) == settings
        assert runtime["networkConfiguration"] == {"networkMode": "PUBLIC"}
        idle = extra[extra.index("--idle-timeout") + 1] if "--idle-timeout" in extra else None
        life = extra[extra.index("--max-lifetime") + 1] if "--max-lifetime" in extra else None
        assert runtime.get("lifecycleConfiguration", {}) == lifecycle(
            int(idle) if idle else None, int(life) if life else None
        )
        if deployment_type == "direct_code_deploy":
            code = runtime["agentRuntimeArtifact"]["codeConfiguration"]
            assert (code["runtime"], code["entryPoint"]) == (
                "PYTHON_3_12",
                ["opentelemetry-instrument", "agent.py"],
            )

        names = uploaded_artifact(target.client, runtime, name)
        shipped = set(names)
        assert {"agent.py", "requirements.txt", "Dockerfile"} <= shipped
        assert {f"shared/{p.name}" for p in (ROOT / "shared").glob("*.py")} <= shipped
        assert not top_level(names) & {
            "tests",
            ".venv",
            ".git",
            ".env",
            ".bedrock_agentcore",
            ".bedrock_agentcore.yaml",
        }

        with _data_plane(target, folder, runtime) as data_plane:
            env = {**target.env, **data_plane.env}
            payload, expected = GOOD[step]
            good = run(agentcore("invoke", json.dumps(payload)), folder, env, 300)
            assert good.returncode == 0, good.stdout[-3000:]
            answer = printed_json(good.stdout)
            assert {k: answer[k] for k in expected} == expected, good.stdout[-3000:]
            stored = landed_record(target.client, step, settings, answer)
            if stored is not None:
                assert stored["result"] == 3

            bad = run(agentcore("invoke", json.dumps(BAD[step])), folder, env, 300)
            # The toolkit keeps only botocore's error code: the step's 400 envelope never reaches its output.
            assert (
                bad.returncode == 1
                and "An error occurred (400) when calling the InvokeAgentRuntime" in bad.stdout
            ), bad.stdout[-3000:]
            record_latency(target, step, deployment_type, runtime, data_plane, payload, tmp_path)
    finally:
        destroyed = run(agentcore("destroy", "--force"), folder, target.env, 600)
    assert destroyed.returncode == 0, destroyed.stdout[-3000:]
    with pytest.raises(control.exceptions.ResourceNotFoundException):
        control.get_agent_runtime(agentRuntimeId=agent["bedrock_agentcore"]["agent_id"])


@pytest.mark.parametrize("target", ["embedded"], indirect=True)
def test_a_second_deploy_updates_the_runtime(target: Target, scratch: Path) -> None:
    # moto has no CodeBuild UpdateProject; the toolkit calls it on every deploy after the first.
    step = "1_compute_without_model"
    command = deploy_command(step, "container", target.roles_stack)
    first = run(command, scratch, target.env, 600)
    second = run(command, scratch, target.env, 600)
    try:
        assert first.returncode == 0 and second.returncode == 0, second.stdout[-4000:]
        assert "Updated CodeBuild project" in second.stdout
        agent = yaml.safe_load((scratch / step / ".bedrock_agentcore.yaml").read_text())["agents"][
            STEPS[step].name
        ]
        runtime = target.client("bedrock-agentcore-control").get_agent_runtime(
            agentRuntimeId=agent["bedrock_agentcore"]["agent_id"]
        )
        assert runtime["agentRuntimeVersion"] == "2"
    finally:
        run(agentcore("destroy", "--force"), scratch / step, target.env, 600)


@contextmanager
def _data_plane(target: Target, folder: Path, runtime: dict[str, Any]) -> Iterator[DataPlane]:
    """The real data plane for a real account; a local one (and a fake Bedrock for step 0) otherwise."""
    if not target.embedded:
        yield DataPlane(None)
        return
    with FakeBedrock() as bedrock:
        extra = {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": bedrock.url, "LOG_LEVEL": "WARNING"}
        with local_data_plane(folder, runtime, target.step_env, extra) as data_plane:
            yield data_plane


def record_latency(
    target: Target,
    step: str,
    deployment_type: str,
    runtime: dict[str, Any],
    data_plane: DataPlane,
    payload: Any,
    tmp_path: Path,
) -> None:
    """Time the first call of a new session (cold) and three more in it (warm); write them to a results file."""
    from botocore.config import Config

    client = target.client("bedrock-agentcore")
    if data_plane.endpoint_url:
        import boto3

        client = boto3.client(
            "bedrock-agentcore",
            endpoint_url=data_plane.endpoint_url,
            region_name=target.step_env["AWS_REGION"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(read_timeout=120, retries={"mode": "standard", "total_max_attempts": 1}),
        )
    session = f"deploy-test-{uuid.uuid4()}"
    times = []
    for _ in range(4):
        start = time.perf_counter()
        got = client.invoke_agent_runtime(
            agentRuntimeArn=runtime["agentRuntimeArn"],
            runtimeSessionId=session,
            payload=json.dumps(payload).encode(),
        )
        got["response"].read()
        times.append(time.perf_counter() - start)
    if not target.embedded:
        client.stop_runtime_session(agentRuntimeArn=runtime["agentRuntimeArn"], runtimeSessionId=session)
    results = RESULTS if not target.embedded else tmp_path / RESULTS.name
    rows = json.loads(results.read_text()) if results.exists() else {}
    rows[f"{step}/{deployment_type}"] = {
        "cold_s": round(times[0], 3),
        "warm_median_s": round(statistics.median(times[1:]), 3),
        "measured": time.strftime("%Y-%m-%d", time.gmtime()),
        "region": client.meta.region_name,
    }
    results.write_text(json.dumps(rows, indent=1, sort_keys=True) + "\n")
