"""`serve-local STEP` as a user runs it: the lines it prints work when pasted, `--json` is one line naming
what the step's front uses, and what cannot start says so in one line."""

from __future__ import annotations

import json
import re
import socket
import subprocess

import pytest

from local_cloud.http import call
from local_cloud.loopback import free_port
from tests.commands.deploy.helpers import ROOT, bash
from tests.helpers import running, script

READY = re.compile(r"^Ctrl-C stops everything\.$")
JSON_LINE = re.compile(r"^\{.*\}$")


def test_a_sink_steps_printed_lines_invoke_it_and_list_its_session() -> None:
    port = free_port()
    with running([script("serve-local"), "2_sqs_sink", "--port", str(port)], [READY], timeout=90) as (
        lines,
        _,
    ):
        printed = "\n".join(lines).replace("\\\n", " ")
        call_lines = printed.split("Call it from another shell at the repository root:\n", 1)[1]
        commands = [line for line in call_lines.splitlines() if not line.startswith("Ctrl-C")]
        commands = [c.replace(".venv/bin/agentcore-local", script("agentcore-local")) for c in commands]
        out = bash("\n".join(commands), timeout=60)

    assert f"AgentCore data plane at http://127.0.0.1:{port}" in lines
    status, answer, *table = out.splitlines()
    assert status == "200"
    assert json.loads(answer)["result"] == 3 and json.loads(answer)["message_sent"] is True
    assert any("step2_sqs_sink" in row and "running" in row for row in table), out


def test_json_names_the_proxy_front_and_its_key() -> None:
    port, key = free_port(), "serve-local-key-0123456789abcdef"
    args = [script("serve-local"), "5_api_gateway_proxy", "--port", str(port), "--api-key", key, "--json"]
    with running(args, [JSON_LINE], timeout=90) as (lines, [match]):
        doc = json.loads(match[0])
        status, _, body = call(
            f"{doc['resources']['api_url']}/calculate", {"prompt": {"a": 2, "b": 3}}, {"x-api-key": key}
        )

    # One line on stdout and nothing else (running() appends what stderr held: nothing).
    assert lines == [match[0], ""], "--json prints one line and nothing else"
    assert set(doc) == {"aws_endpoint_url", "agentcore_endpoint_url", "resources"}
    assert doc["resources"]["api_url"] == f"http://127.0.0.1:{port}/prod"
    assert doc["resources"]["api_key"] == key
    assert doc["aws_endpoint_url"].startswith("http://127.0.0.1:") and doc[
        "agentcore_endpoint_url"
    ].startswith("http://127.0.0.1:")
    assert (status, body["data"]["result"]) == (200, 5)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["7_no_such_step"], "no step folder '7_no_such_step'"),
        (["1_compute_without_model", "--api-key", "k"], "--api-key is step 5's"),
    ],
)
def test_what_cannot_start_says_so_in_one_line(args: list[str], says: str) -> None:
    done = subprocess.run(
        [script("serve-local"), *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stdout == "" and done.stderr.count("\n") == 1 and says in done.stderr, done.stderr


def test_a_taken_port_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [script("serve-local"), "1_compute_without_model", "--port", str(port)],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert f"--port {port}" in done.stderr and "Traceback" not in done.stderr
