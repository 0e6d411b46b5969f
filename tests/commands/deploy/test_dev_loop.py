"""`agentcore dev` + `agentcore invoke --dev` in every step folder, exactly as the step READMEs say.

Each README's local-run block runs as one bash script on a scratch checkout (helpers.readme_script says
what it adapts: ports and paths). `invoke --dev` exits 0 even on HTTP 500, so the test reads what it prints.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from local_cloud.aws import EmbeddedAws
from local_cloud.loopback import free_port
from tests.commands.deploy.helpers import (
    base_env,
    git_status,
    offline,
    readme_block,
    readme_script,
    split_output,
)
from tests.steps.step0.fake_bedrock import FakeBedrock

# What `invoke --dev` must print for each README's payload, and what the README's last command shows.
EXPECTED: dict[str, tuple[dict[str, Any], str | None]] = {
    "0_run_default_agentcore": ({"result": "Hello from Bedrock"}, None),
    "1_compute_without_model": ({"result": 3}, None),
    "2_sqs_sink": ({"result": 8, "message_sent": True}, '"result":8'),
    "3_s3_sink": ({"result": 3, "s3_stored": True}, "agentcore-results/"),
    "4_dynamodb_sink": ({"result": 9, "dynamodb_stored": True}, '"9"'),
}


@pytest.mark.xdist_group("agentcore-dev")  # one dev server at a time: they all start at 8080
@pytest.mark.parametrize("step", sorted(EXPECTED))
def test_dev_server_as_the_readme_says(
    step: str, scratch: Path, moto_server: EmbeddedAws, proxy_port: int
) -> None:
    block = readme_block(scratch / step / "README.md", "agentcore dev")
    script = readme_script(block, free_port())
    env = offline(base_env({}), proxy_port)
    with FakeBedrock() as bedrock:
        if step == "0_run_default_agentcore":
            # In place of the caller's credentials: the embedded AWS answers configure's STS call.
            env.update({**moto_server.env(), "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": bedrock.url})
        output = _run_script(script, scratch, env)
    parts = split_output(output)
    invoke = next(out for command, out in parts.items() if "agentcore invoke --dev" in command)
    answer, last = EXPECTED[step]
    got = _dev_answer(invoke)
    assert {k: got.get(k) for k in answer} == answer, output[-4000:]
    if last is not None:
        assert last in list(parts.values())[-1], output[-4000:]
    # configure's yaml and .dockerignore, the staged shared/: all git-ignored.
    assert git_status(scratch) == [], output[-2000:]


def _run_script(script: str, cwd: Path, env: dict[str, str]) -> str:
    # Output to a file: the background servers keep a pipe open after bash has exited.
    log = cwd.parent / "readme-block.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["bash", "-c", script],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            process.wait(timeout=180)
        finally:
            # The dev server (agentcore -> uv -> uvicorn reloader -> worker) and moto_server share the group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    output = log.read_text()
    assert process.returncode == 0, output[-4000:]
    return output


def _dev_answer(text: str) -> dict[str, Any]:
    """The agent's JSON body from what `invoke --dev` prints: a Python dict repr {'response': '<body>'}."""
    line = next(line for line in text.splitlines() if line.startswith("{'response':"))
    return dict(json.loads(ast.literal_eval(line)["response"]))
