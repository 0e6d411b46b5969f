"""`make deploy`, `agentcore invoke` and `agentcore destroy` as users run them, for every step and both paths.

The real starter toolkit runs as a subprocess on a scratch checkout, against the embedded AWS (moto's
server with the gaps local_cloud.aws.fill_moto_gaps fills) or, with RUN_AWS_TESTS=1, a real account.
Every subprocess of the embedded run gets a proxy nobody listens on: uv builds from the wheelhouse, and
anything that would reach the internet fails.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from commands.deploy import STEPS
from tests.commands.deploy.helpers import (
    BAD,
    GOOD,
    ROOT,
    DataPlane,
    Target,
    agentcore,
    bash,
    deploy_command,
    expected_settings,
    git_status,
    landed_record,
    lifecycle,
    local_data_plane,
    local_sqs,
    out_helper,
    plant_decoys,
    printed_commands,
    printed_json,
    readme_block,
    readme_commands,
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
    ("4_dynamodb_sink", "direct_code_deploy"): ("--idle-timeout", "120"),
}
# Direct code deploy of steps 1-3 repeats what steps 0 and 4 cover on that path (the same packaging, the
# smallest and the largest requirements and shared/ slices) and what their container cases cover of them.
REPEATED = {("1_compute_without_model", "direct_code_deploy"), ("2_sqs_sink", "direct_code_deploy"),
            ("3_s3_sink", "direct_code_deploy")}  # fmt: skip
CASES = [
    pytest.param(
        step, kind, id=f"{step}-{kind}", marks=[pytest.mark.heavy] if (step, kind) in REPEATED else []
    )
    for step in sorted(STEPS)
    for kind in TYPES
]
RESULTS = ROOT / "bench" / "aws_deploy_latency.json"
# Steps whose README has an "Invoke and verify" block with `aws` commands, and the result its payload gives.
VERIFY_BLOCKS = {"2_sqs_sink": 8, "3_s3_sink": 3, "4_dynamodb_sink": 9}


@pytest.mark.parametrize("target", TARGETS, indirect=True)
@pytest.mark.parametrize(("step", "deployment_type"), CASES)
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
            if deployment_type == "container" and step in VERIFY_BLOCKS:
                _verify_as_the_readmes_say(step, folder, env, target, settings)
            if deployment_type == "container" and step == "0_run_default_agentcore" and target.embedded:
                _step0_invoke_block(folder, env)  # its answers are the fake Bedrock's
            if deployment_type == "container" and step == "4_dynamodb_sink":
                # Step 5's README: "note the runtime ARN (`agentcore status`)".
                status = bash("agentcore status", folder, env, 120)
                assert runtime["agentRuntimeArn"] in status, status

            bad = run(agentcore("invoke", json.dumps(BAD[step])), folder, env, 300)
            # The toolkit shows botocore's code and the body's top-level message, which every step's error
            # carries ("<code>: <message>") beside its envelope.
            assert (
                bad.returncode == 1
                and "An error occurred (400) when calling the InvokeAgentRuntime operation: InvalidInput: "
                in " ".join(bad.stdout.split())
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


def _verify_as_the_readmes_say(
    step: str, folder: Path, env: dict[str, str], target: Target, settings: dict[str, str]
) -> None:
    """The step README's "Invoke and verify" block, then infra/README.md's `aws` line for the step, through bash.

    `out` is infra/README.md's helper on this target's roles stack; `<s3_key ...>` and `<item_id ...>` come
    from the answer just printed. Step 3 then runs its clean-up `aws s3 rm`, step 4 its async jobs block.
    """
    out = out_helper(target.roles_stack)

    def sh(command: str) -> str:
        return bash(f"{out}\n{local_sqs(command, target.embedded)}", folder, env, 300)

    readme = readme_commands(readme_block(ROOT / step / "README.md", "agentcore invoke '"))
    infra = readme_commands(
        readme_block(ROOT / "infra" / "README.md", "make stage STEP=1_compute_without_model")
    )
    at = infra.index(next(line for line in infra if line.startswith(f"make stage STEP={step} ")))
    infra_invoke, infra_check = infra[at + 3 : at + 5]
    expected_result = VERIFY_BLOCKS[step]
    (invoke, check), answers = readme, []
    # infra's invoke is the step README's; it runs again only for SQS, whose first check took the message.
    assert infra_invoke == invoke
    for command, listing in ((invoke, check), (infra_invoke if step == "2_sqs_sink" else None, infra_check)):
        if command is not None:
            answer = printed_json(sh(command))
            assert answer["result"] == expected_result, answer
            answers.append(answer)
        printed = sh(
            listing.replace("<s3_key from the response>", answer.get("s3_key", "")).replace(
                "<item_id from the response>", answer.get("item_id", "")
            )
        )
        if step == "2_sqs_sink":
            got = json.loads(printed)
            bodies = got if listing is check else [m["Body"] for m in got["Messages"]]
            assert [json.loads(b)["request_id"] for b in bodies] == [answer["request_id"]], printed
            assert json.loads(bodies[0])["result"] == expected_result
        elif step == "3_s3_sink" and listing is check:
            assert json.loads(printed) == json.loads(
                target.client("s3")
                .get_object(Bucket=settings["S3_BUCKET_NAME"], Key=answer["s3_key"])["Body"]
                .read()
            )
            assert json.loads(printed)["request_id"] == answer["request_id"]
        elif step == "3_s3_sink":
            listed = [line.split()[-1] for line in printed.splitlines()]
            assert {a["s3_key"] for a in answers} <= set(listed), printed
        elif listing is check:  # step 4: get-item
            item = json.loads(printed)["Item"]
            assert (item["id"]["S"], item["result"]["N"]) == (answer["item_id"], str(expected_result))
        else:  # step 4: scan --max-items 5
            scanned = [i["id"]["S"] for i in json.loads(printed)["Items"]]
            table = target.client("dynamodb").scan(TableName=settings["DYNAMODB_TABLE_NAME"])["Items"]
            assert len(scanned) == min(5, len(table)) and set(scanned) <= {i["id"]["S"] for i in table}
    if step == "3_s3_sink":
        [remove] = [
            c for c in readme_commands(readme_block(ROOT / step / "README.md", "aws s3 rm")) if "s3 rm" in c
        ]
        removed = sh(remove)
        bucket = settings["S3_BUCKET_NAME"]
        for answer in answers:
            assert f"delete: s3://{bucket}/{answer['s3_key']}" in removed, removed
        assert "Contents" not in target.client("s3").list_objects_v2(
            Bucket=bucket, Prefix="agentcore-results/"
        )
    if step == "4_dynamodb_sink":
        _async_block(sh, target, settings)


def _step0_invoke_block(folder: Path, env: dict[str, str]) -> None:
    """Step 0's Invoke block through bash: a plain answer, then a streamed one (from the fake Bedrock)."""
    plain, streamed = readme_commands(
        readme_block(ROOT / "0_run_default_agentcore" / "README.md", 'agentcore invoke \'{"prompt": "Tell')
    )
    assert plain == 'agentcore invoke \'{"prompt": "Hello"}\'' and '"stream": true' in streamed
    assert printed_json(bash(plain, folder, env, 300)) == {"result": "Hello from Bedrock"}
    printed = bash(streamed, folder, env, 300)
    # The toolkit prints each event's data, one JSON document a line: the text in pieces, then the whole.
    *pieces, last = [json.loads(line) for line in printed.splitlines() if line.startswith("{")]
    assert len(pieces) > 1 and "".join(p["data"] for p in pieces) == "Hello from Bedrock", printed
    assert last == {"result": "Hello from Bedrock"}, printed


def _async_block(sh: Callable[[str], str], target: Target, settings: dict[str, str]) -> None:
    """Step 4's async block: submit (20 minutes' delay shortened to 60 s, a key of this run), read, cancel."""
    block = readme_block(ROOT / "4_dynamodb_sink" / "README.md", '"mode": "async"')
    submit, status, cancel = readme_commands(block)
    assert '"delay_seconds": 1200' in submit and '"order-17"' in submit
    key = f"order-{uuid.uuid4().hex[:8]}"
    job = printed_json(
        sh(submit.replace('"delay_seconds": 1200', '"delay_seconds": 60').replace('"order-17"', f'"{key}"'))
    )
    assert (job["status"], job["input"], job["delay_seconds"]) == ("PENDING", {"a": 7, "b": 2}, 60), job
    read = printed_json(sh(status.replace("4f0c...", job["job_id"])))
    assert read["job_id"] == job["job_id"] and read["status"] in ("PENDING", "RUNNING"), read
    cancelled = printed_json(sh(cancel.replace("4f0c...", job["job_id"])))
    assert (cancelled["job_id"], cancelled["status"]) == (job["job_id"], "CANCELLED"), cancelled
    record = target.client("dynamodb").get_item(
        TableName=settings["DYNAMODB_TABLE_NAME"],
        Key={"id": {"S": f"job#{job['job_id']}"}},
        ConsistentRead=True,
    )["Item"]
    assert record["status"]["S"] == "CANCELLED"


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
