"""Runtimes deployed to the embedded AWS, served by the local data plane with the code that was deployed.

The artifacts are made the way the starter toolkit makes them, with boto3 against moto: a direct code
deploy zip (project files next to unpacked dependencies, here a stand-in boto3 that fails on import as
an aarch64 wheel would) and a container runtime whose CodeBuild project holds the uploaded source zip."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from commands.steps import ROOT
from commands.worlds import Resources
from local_cloud.agentcore import AgentCoreLocal
from local_cloud.aws import EmbeddedAws

ROLE = "arn:aws:iam::123456789012:role/agentcore-local-test"
PAYLOAD = b'{"prompt": {"a": 5, "b": 3}}'


def _project_files(step: str) -> dict[str, bytes]:
    folder = ROOT / step
    files = {name: (folder / name).read_bytes() for name in ("agent.py", "requirements.txt", "Dockerfile")}
    for path in (ROOT / "shared").rglob("*.py"):
        files[f"shared/{path.relative_to(ROOT / 'shared')}"] = path.read_bytes()
    return files


def _zip(files: dict[str, bytes]) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return data.getvalue()


def _bucket(aws: EmbeddedAws) -> str:
    bucket = f"bedrock-agentcore-codebuild-sources-123456789012-{aws.region}"
    s3 = aws.client("s3")
    if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture
def plane(moto_server: EmbeddedAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[AgentCoreLocal]:
    """A data plane reading the embedded AWS; boto3 finds it through AWS_ENDPOINT_URL_BEDROCK_AGENTCORE."""
    with AgentCoreLocal(aws_endpoint=moto_server.endpoint_url, start_mode="fork", stop_grace=1.0) as local:
        for name, value in {**moto_server.env(), **local.env()}.items():
            if name != "AWS_ENDPOINT_URL":
                monkeypatch.setenv(name, value)
        yield local


def _invoke(arn: str, session: str) -> tuple[int, dict]:
    answer = boto3.client("bedrock-agentcore").invoke_agent_runtime(
        agentRuntimeArn=arn, runtimeSessionId=session, payload=PAYLOAD
    )
    return answer["statusCode"], json.loads(answer["response"].read())


def test_a_direct_code_deploy_runs_its_own_files_with_the_runtime_settings(
    plane: AgentCoreLocal, moto_server: EmbeddedAws, resources: Resources
) -> None:
    name = f"step2_codezip_{uuid.uuid4().hex[:8]}"
    files = _project_files("2_sqs_sink")
    # An aarch64 boto3 wheel unpacked next to agent.py: importing it here would fail.
    files["boto3/__init__.py"] = b"raise ImportError('an aarch64 wheel cannot load here')\n"
    files["boto3-9.9.9.dist-info/METADATA"] = b"Name: boto3\n"
    files["boto3-9.9.9.dist-info/RECORD"] = (
        b"boto3/__init__.py,sha256=x,55\nboto3-9.9.9.dist-info/METADATA,,\nboto3-9.9.9.dist-info/RECORD,,\n"
    )
    bucket = _bucket(moto_server)
    moto_server.client("s3").put_object(Bucket=bucket, Key=f"{name}/deployment.zip", Body=_zip(files))
    created = moto_server.client("bedrock-agentcore-control").create_agent_runtime(
        agentRuntimeName=name,
        agentRuntimeArtifact={
            "codeConfiguration": {
                "code": {"s3": {"bucket": bucket, "prefix": f"{name}/deployment.zip"}},
                "runtime": "PYTHON_3_12",
                "entryPoint": ["opentelemetry-instrument", "agent.py"],
            }
        },
        roleArn=ROLE,
        networkConfiguration={"networkMode": "PUBLIC"},
        environmentVariables={"SQS_QUEUE_URL": resources.queue_url},
        lifecycleConfiguration={"idleRuntimeSessionTimeout": 120, "maxLifetime": 3600},
    )
    session = f"codezip-{uuid.uuid4()}"

    status, body = _invoke(created["agentRuntimeArn"], session)

    assert status == 200 and body["result"] == 8 and body["message_sent"] is True
    [message] = moto_server.client("sqs").receive_message(QueueUrl=resources.queue_url)["Messages"]
    assert json.loads(message["Body"])["session_id"] == session
    view = plane.session(created["agentRuntimeArn"], session)
    assert view is not None and (view["idle_timeout"], view["max_lifetime"]) == (120, 3600)
    served = Path(view["log"]).parent / "artifacts"
    [folder] = served.glob(f"{name}-*")
    assert (folder / "agent.py").is_file() and (folder / "shared" / "sinks" / "writers.py").is_file()
    assert not (folder / "boto3").exists() and not list(folder.glob("*.dist-info"))


def test_a_container_runtime_runs_the_source_its_build_was_given(
    plane: AgentCoreLocal, moto_server: EmbeddedAws
) -> None:
    name = f"step1_container_{uuid.uuid4().hex[:8]}"
    repository = moto_server.client("ecr").create_repository(repositoryName=f"bedrock-agentcore-{name}")
    uri = repository["repository"]["repositoryUri"]
    bucket = _bucket(moto_server)
    moto_server.client("s3").put_object(
        Bucket=bucket, Key=f"{name}/source.zip", Body=_zip(_project_files("1_compute_without_model"))
    )
    moto_server.client("codebuild").create_project(
        name=f"bedrock-agentcore-{name}-builder",
        source={
            "type": "S3",
            "location": f"{bucket}/{name}/source.zip",
            "buildspec": f"version: 0.2\nphases:\n  build:\n    commands:\n      - docker push {uri}:latest\n",
        },
        artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "ARM_CONTAINER", "image": "aws/codebuild/amazonlinux2-aarch64-standard:3.0",
                     "computeType": "BUILD_GENERAL1_MEDIUM"},
        serviceRole=ROLE,
    )  # fmt: skip
    control = moto_server.client("bedrock-agentcore-control")
    created = control.create_agent_runtime(
        agentRuntimeName=name,
        agentRuntimeArtifact={"containerConfiguration": {"containerUri": f"{uri}:latest"}},
        roleArn=ROLE,
        networkConfiguration={"networkMode": "PUBLIC"},
    )

    endpoint = control.get_agent_runtime_endpoint(
        agentRuntimeId=created["agentRuntimeId"], endpointName="DEFAULT"
    )
    status, body = _invoke(created["agentRuntimeArn"], f"container-{uuid.uuid4()}")

    # What the toolkit waits 120 s for on moto without the harness's DEFAULT endpoint.
    assert endpoint["status"] == "READY" and endpoint["liveVersion"] == "1"
    assert (status, body) == (200, {"result": 8})
    # The service's own ARN form names the same runtime.
    real_arn = (
        f"arn:aws:bedrock-agentcore:{moto_server.region}:123456789012:runtime/{created['agentRuntimeId']}"
    )
    assert _invoke(real_arn, f"container-{uuid.uuid4()}") == (200, {"result": 8})


def test_a_container_without_source_answers_runtime_client_error(
    plane: AgentCoreLocal, moto_server: EmbeddedAws
) -> None:
    created = moto_server.client("bedrock-agentcore-control").create_agent_runtime(
        agentRuntimeName=f"nosource_{uuid.uuid4().hex[:8]}",
        agentRuntimeArtifact={
            "containerConfiguration": {
                "containerUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/none:latest"
            }
        },
        roleArn=ROLE,
        networkConfiguration={"networkMode": "PUBLIC"},
    )

    with pytest.raises(ClientError) as failed:
        _invoke(created["agentRuntimeArn"], f"nosource-{uuid.uuid4()}")

    assert failed.value.response["Error"]["Code"] == "RuntimeClientError"
    assert "no source for the container" in failed.value.response["Error"]["Message"]
