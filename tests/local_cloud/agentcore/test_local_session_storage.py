"""AgentCore's managed session storage on the local data plane, through real boto3 and HTTP: a session's
directory outlives StopRuntimeSession and idle reaping, is never another session's, starts afresh on a
new runtime version; without it a session's files go with its microVM. The session counter (on_lambda/
microvm) counts calls in memory and in a file where SESSION_STORAGE_PATH says."""

from __future__ import annotations

import io
import json
import re
import subprocess
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from commands.microvm_image import image_files
from commands.steps import ROOT
from commands.worlds import step_runtime
from local_cloud.agentcore import AgentCoreLocal
from local_cloud.agentcore.control_plane import REFRESH_SECONDS
from local_cloud.aws import EmbeddedAws
from local_cloud.http import get_json
from local_cloud.loopback import free_port
from tests.commands.deploy.helpers import bash, readme_block
from tests.helpers import agentcore_client, script
from tests.local_cloud.helpers import readme_server, running

COUNTER = ROOT / "on_lambda" / "microvm"
PAYLOAD = b'{"prompt": {"a": 1, "b": 2}}'
MOUNT = "/mnt/data"
ROLE = "arn:aws:iam::123456789012:role/agentcore-local-test"


def sid(name: str) -> str:
    """A unique runtimeSessionId (33 to 256 characters)."""
    return f"{name}-{uuid.uuid4()}"


def count(client, arn: str, session: str) -> dict:
    """One call of the counter in a session."""
    answer = client.invoke_agent_runtime(agentRuntimeArn=arn, runtimeSessionId=session, payload=PAYLOAD)
    return json.loads(answer["response"].read())


@pytest.fixture(scope="module")
def storage_plane() -> Iterator[tuple[AgentCoreLocal, str, str]]:
    """The counter twice: with session storage at /mnt/data, and without; idle sessions end after 1 s."""
    stored = step_runtime("counter_storage", COUNTER, session_storage=MOUNT)
    plain = step_runtime("counter_plain", COUNTER)
    with AgentCoreLocal([stored, plain], start_mode="fork", idle_timeout=1.0, stop_grace=1.0) as plane:
        yield plane, stored.arn, plain.arn


def test_a_sessions_files_outlive_its_process_stopped_or_reaped(storage_plane) -> None:
    plane, arn, _ = storage_plane
    client, session = agentcore_client(plane.endpoint_url), sid("kept")

    first, second = count(client, arn, session), count(client, arn, session)
    client.stop_runtime_session(agentRuntimeArn=arn, runtimeSessionId=session)
    stopped = plane.wait_ended(arn, session, timeout=10)
    after_stop = count(client, arn, session)
    reaped = plane.wait_ended(arn, session, timeout=10)
    after_idle = count(client, arn, session)

    assert (first["calls_in_memory"], first["calls_in_file"]) == (1, 1)
    assert (second["calls_in_memory"], second["calls_in_file"], second["pid"]) == (2, 2, first["pid"])
    assert (stopped["ended_reason"], reaped["ended_reason"]) == ("stopped", "idle")
    # A new process each time: its memory starts again, its files are still there.
    assert after_stop["pid"] != first["pid"] and after_idle["pid"] != after_stop["pid"]
    assert (after_stop["calls_in_memory"], after_stop["calls_in_file"]) == (1, 3)
    assert (after_idle["calls_in_memory"], after_idle["calls_in_file"]) == (1, 4)
    directory = Path(stopped["session_storage"])
    assert directory == Path(reaped["session_storage"]) and (directory / "calls.txt").read_text() == "4"


def test_no_session_sees_another_sessions_files(storage_plane) -> None:
    plane, arn, _ = storage_plane
    client, mine, theirs = agentcore_client(plane.endpoint_url), sid("mine"), sid("theirs")

    for _ in range(3):
        count(client, arn, mine)
    other = count(client, arn, theirs)

    views = {v["session_id"]: v for v in get_json(f"{plane.endpoint_url}/_local/sessions")}
    assert other["calls_in_file"] == 1
    assert views[mine]["session_storage"] != views[theirs]["session_storage"]
    assert (Path(views[theirs]["session_storage"]) / "calls.txt").read_text() == "1"


def test_without_session_storage_a_sessions_files_go_with_its_microvm(storage_plane) -> None:
    plane, _, arn = storage_plane
    client, session, other = agentcore_client(plane.endpoint_url), sid("plain"), sid("plain-other")

    first, second = count(client, arn, session), count(client, arn, session)
    alongside = count(client, arn, other)
    client.stop_runtime_session(agentRuntimeArn=arn, runtimeSessionId=session)
    plane.wait_ended(arn, session, timeout=10)
    again = count(client, arn, session)

    # Each session's temporary directory is its own (TMPDIR) and is removed when it ends.
    assert (first["calls_in_file"], second["calls_in_file"], alongside["calls_in_file"]) == (1, 2, 1)
    assert (again["calls_in_memory"], again["calls_in_file"]) == (1, 1)
    assert plane.session(arn, session)["session_storage"] is None


def _counter_zip() -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, path in image_files(COUNTER).items():
            archive.writestr(name, path.read_bytes())
    return data.getvalue()


def test_a_deployed_runtimes_session_storage_starts_afresh_with_a_new_version(
    moto_server: EmbeddedAws,
) -> None:
    name, bucket = f"counter_deployed_{uuid.uuid4().hex[:8]}", f"counter-code-{uuid.uuid4().hex[:8]}"
    s3, control = moto_server.client("s3"), moto_server.client("bedrock-agentcore-control")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="counter.zip", Body=_counter_zip())
    runtime = {
        "agentRuntimeArtifact": {
            "codeConfiguration": {
                "code": {"s3": {"bucket": bucket, "prefix": "counter.zip"}},
                "runtime": "PYTHON_3_12",
                "entryPoint": ["agent.py"],
            }
        },
        "roleArn": ROLE,
        "networkConfiguration": {"networkMode": "PUBLIC"},
        "filesystemConfigurations": [{"sessionStorage": {"mountPath": MOUNT}}],
        "environmentVariables": {"SESSION_STORAGE_PATH": MOUNT},
    }
    created = control.create_agent_runtime(agentRuntimeName=name, **runtime)
    arn, session = created["agentRuntimeArn"], sid("versions")
    with AgentCoreLocal(aws_endpoint=moto_server.endpoint_url, start_mode="fork", stop_grace=1.0) as plane:
        client = agentcore_client(plane.endpoint_url)
        before = [count(client, arn, session)["calls_in_file"] for _ in range(2)]
        stored = control.get_agent_runtime(agentRuntimeId=created["agentRuntimeId"])
        control.update_agent_runtime(agentRuntimeId=created["agentRuntimeId"], **runtime)
        client.stop_runtime_session(agentRuntimeArn=arn, runtimeSessionId=session)
        plane.wait_ended(arn, session, timeout=10)
        time.sleep(REFRESH_SECONDS + 0.1)  # the data plane reads a deployed runtime's version again
        after = count(client, arn, session)["calls_in_file"]

    assert stored["filesystemConfigurations"] == [{"sessionStorage": {"mountPath": MOUNT}}]
    assert before == [1, 2] and after == 1


def test_agentcore_local_applies_session_storage_to_every_runtime() -> None:
    line = re.compile(r"^AgentCore data plane at (http://127\.0\.0\.1:\d+)$")
    args = [script("agentcore-local"), "--runtime", "counter=on_lambda/microvm", "--port", str(free_port()),
            "--start-mode", "fork", "--stop-grace", "1", "--session-storage", MOUNT]  # fmt: skip
    with running(args, [line]) as (_, [match]):
        client, session = agentcore_client(match[1]), sid("cli")
        arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/counter"
        calls = [count(client, arn, session)["calls_in_file"] for _ in range(2)]
        client.stop_runtime_session(agentRuntimeArn=arn, runtimeSessionId=session)
        again = count(client, arn, session)
        [*_, view] = get_json(f"{match[1]}/_local/sessions")

    assert calls == [1, 2] and (again["calls_in_memory"], again["calls_in_file"]) == (1, 3)
    assert view["session_storage"] and Path(view["session_storage"]).name


@pytest.mark.parametrize("path", ["/data", "/mnt/a/b", "/mnt/"])
def test_a_mount_path_the_service_refuses_is_one_line(path: str) -> None:
    done = subprocess.run([script("agentcore-local"), "--port", str(free_port()), "--session-storage", path],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)  # fmt: skip

    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith(
        "agentcore-local: --session-storage: a session storage mount path is one directory"
    )


@pytest.mark.slow  # the AWS CLI, started four times
def test_the_readmes_session_storage_blocks_run_as_written() -> None:
    readme = ROOT / "local_cloud" / "README.md"
    calls = readme_block(readme, "bedrock-agentcore invoke-agent-runtime")
    line = re.compile(r"^AgentCore data plane at (http://127\.0\.0\.1:\d+)$")
    with readme_server(readme, "agentcore-local --runtime counter=on_lambda/microvm", line) as port:
        answers = [
            json.loads(out) for out in bash(calls.replace("8081", str(port)), timeout=120).splitlines()
        ]

    assert [(a["calls_in_memory"], a["calls_in_file"]) for a in answers] == [(1, 1), (2, 2), (1, 3)]
    assert answers[0]["pid"] == answers[1]["pid"] != answers[2]["pid"]
