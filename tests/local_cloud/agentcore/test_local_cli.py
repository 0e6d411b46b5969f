"""The commands the READMEs give: `agentcore-local` (serve, then `sessions`) and
`serve-local 5_api_gateway_proxy`, run as a user runs them, driven from this separate process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from datetime import datetime

import boto3

from commands.steps import ROOT
from local_cloud.agentcore import runtime_arn
from local_cloud.http import call, get_json
from local_cloud.loopback import free_port
from tests.commands.deploy.helpers import bash, readme_block
from tests.helpers import agentcore_client, running, script, wait_until

DATA_PLANE_LINE = re.compile(r"^AgentCore data plane at (http://127\.0\.0\.1:\d+)$")


def sessions_table(endpoint: str, *extra: str) -> str:
    done = subprocess.run(
        [script("agentcore-local"), "sessions", "--endpoint", endpoint, *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return done.stdout


def post(url: str, doc: dict) -> tuple[int, dict]:
    status, _, body = call(url, doc)
    return status, body


def test_serve_prints_its_line_serves_and_shows_its_sessions() -> None:
    port = free_port()
    name = f"step1_cli_{uuid.uuid4().hex[:6]}"
    args = [script("agentcore-local"), "--runtime", f"{name}=1_compute_without_model", "--port", str(port),
            "--idle-timeout", "60", "--start-mode", "fork", "--stop-grace", "1"]  # fmt: skip
    with running(args, [DATA_PLANE_LINE]) as (lines, [match]):
        endpoint = match[1]
        assert endpoint == f"http://127.0.0.1:{port}"
        client = agentcore_client(endpoint)
        session = f"cli-{uuid.uuid4()}"
        answer = client.invoke_agent_runtime(
            agentRuntimeArn=runtime_arn(name),
            runtimeSessionId=session,
            payload=b'{"prompt": {"a": 2, "b": 2}}',
        )
        assert json.loads(answer["response"].read()) == {"result": 4}
        table = sessions_table(endpoint)
        raw = sessions_table(endpoint, "--json")
        status, killed = post(
            f"{endpoint}/_local/sessions/kill", {"runtime_arn": runtime_arn(name), "session_id": session}
        )
        [view] = get_json(f"{endpoint}/_local/sessions")
        pid = view["pid"]

    header, _, row, priced = table.splitlines()
    assert header.split()[:5] == ["runtime", "session", "pid", "status", "ping"]
    assert row.split()[:5] == [name, f"{session[:8]}..{session[-8:]}", str(pid), "running", "Healthy"]
    assert priced.startswith("priced usage: 1 sessions,") and "V1 $" in priced and "V2 $" in priced
    # --json (local_cloud/README.md): the raw /_local/sessions list, the same session, still running then.
    [listed] = json.loads(raw)
    assert (listed["session_id"], listed["pid"], listed["status"]) == (session, pid, "running")
    assert (status, killed) == (200, {"kill": session})
    assert "warning: --idle-timeout" not in lines[-1]
    # Its sessions ended with it.
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive


def test_a_short_lifecycle_is_accepted_with_a_warning() -> None:
    args = [
        script("agentcore-local"),
        "--port",
        str(free_port()),
        "--idle-timeout",
        "2",
        "--max-lifetime",
        "5",
    ]
    with running(args, [DATA_PLANE_LINE]) as (lines, _):
        pass
    assert "warning: --idle-timeout 2 s is below the service's minimum of 60 s" in lines[-1]
    assert "warning: --max-lifetime 5 s is below the service's minimum of 60 s" in lines[-1]


def test_serve_local_step5_runs_on_the_local_data_plane() -> None:
    port = free_port()
    until = [
        re.compile(r"^embedded AWS \(moto\) at (http://\S+); table (\S+)$"),
        DATA_PLANE_LINE,
        re.compile(r"^Ctrl-C stops everything\.$"),
    ]
    with running([script("serve-local"), "5_api_gateway_proxy", "--port", str(port)], until, timeout=90) as (
        lines,
        found,
    ):
        status, body = post(f"http://127.0.0.1:{port}/prod/calculate", {"prompt": {"a": 5, "b": 5}})
        table = sessions_table(found[1][1])

        # The curl lines serve-local prints, as printed; <job_id> from the Location header of the POST.
        printed = "\n".join(lines).replace("\\\n", " ")
        curls = [line.split("   #")[0].strip() for line in printed.splitlines() if line.startswith("curl")]
        calculate, submit, read, cancel = curls
        calculated, submitted = bash(calculate), bash(submit)
        location = re.search(r"^location: /jobs/(\S+)\s*$", submitted, re.M | re.I)
        assert location, submitted
        job = location[1]
        job_read, cancelled = bash(read.replace("<job_id>", job)), bash(cancel.replace("<job_id>", job))

        # The README's jobs block with URL set to this API; the job's 60 s delay becomes 1 s, the polls 5 s
        # apart become 0.5 s apart; the 10-minute job is cancelled as it is.
        block = readme_block(ROOT / "5_api_gateway_proxy" / "README.md", "JOB=$(job")
        assert '"delay_seconds": 60' in block and "seq 1 30" in block and "sleep 5\n" in block
        jobs = block.replace('"delay_seconds": 60}', '"delay_seconds": 1}').replace(
            "sleep 5\n", "sleep 0.5\n"
        )
        readme = bash(f"URL=http://127.0.0.1:{port}/prod/calculate\n{jobs}").splitlines()

    assert status == 200 and body["data"]["result"] == 10
    assert "step4_dynamodb_sink-local" in table and "priced usage: 1 sessions" in table
    assert json.loads(calculated)["data"]["result"] == 10
    head, _, submit_body = submitted.partition("\n\n")
    assert head.startswith("HTTP/1.1 202") and json.loads(submit_body)["status"] == "PENDING"
    assert json.loads(job_read)["job_id"] == job
    assert json.loads(cancelled)["status"] == "CANCELLED"
    polls, cancelled_long = [json.loads(line) for line in readme[:-1]], json.loads(readme[-1])
    # The loop stops at the job's end: one SUCCEEDED line, after the PENDING/RUNNING ones, and no more.
    assert [p["status"] for p in polls[:-1]] and {p["status"] for p in polls[:-1]} <= {"PENDING", "RUNNING"}
    assert (polls[-1]["status"], polls[-1]["result"]) == ("SUCCEEDED", 9)
    assert (cancelled_long["status"], cancelled_long["delay_seconds"]) == ("CANCELLED", 600)


def test_serve_local_step5_takes_api_keys_and_the_job_lease() -> None:
    port, keys = free_port(), ["demo-key-a-0123456789abcdef", "demo-key-b-0123456789abcdef"]
    args = [
        script("serve-local"),
        "5_api_gateway_proxy",
        "--port",
        str(port),
        "--api-key",
        keys[0],
        "--api-key",
        keys[1],
    ]
    until = [re.compile(r"^embedded AWS \(moto\) at (http://\S+); table (\S+)$"), DATA_PLANE_LINE]
    base = f"http://127.0.0.1:{port}/prod"
    with running(args, until, timeout=90, env={"JOB_LEASE_SECONDS": "7"}) as (_, found):
        denied = call(f"{base}/jobs", {"prompt": {"a": 1, "b": 1}})
        jobs = [call(f"{base}/jobs", {"prompt": {"a": 1, "b": 1}}, {"x-api-key": key})[2] for key in keys]
        theirs = call(f"{base}/jobs/{jobs[0]['job_id']}", None, {"x-api-key": keys[1]}, method="GET")
        mine = call(f"{base}/jobs/{jobs[0]['job_id']}", None, {"x-api-key": keys[0]}, method="GET")
        dynamodb = boto3.client(
            "dynamodb", endpoint_url=found[0][1], region_name="us-east-1",
            aws_access_key_id="local", aws_secret_access_key="local",
        )  # fmt: skip
        key = {"id": {"S": f"job#{jobs[0]['job_id']}"}}

        def finished() -> dict | None:
            got = dynamodb.get_item(TableName=found[0][2], Key=key, ConsistentRead=True)["Item"]
            return got if "finished_at" in got else None

        record = wait_until(finished, timeout=10, what="the job's final record")

    assert (denied[0], denied[2]) == (403, {"message": "Forbidden"})
    assert all(job["status"] == "PENDING" for job in jobs) and jobs[0]["job_id"] != jobs[1]["job_id"]
    # Each key is one caller: the other key's GET is the 404 of an unknown job.
    assert (theirs[0], theirs[2]["error"]["code"], mine[0]) == (404, "NotFound", 200)
    # The lease step 4 ran with (JOB_LEASE_SECONDS from the environment): set at the start, 7 s long (the
    # job has no delay, so it finished before a heartbeat moved it).
    started, lease = (
        datetime.fromisoformat(record[name]["S"].replace("Z", "+00:00"))
        for name in ("started_at", "lease_expires_at")
    )
    assert (lease - started).total_seconds() == 7
