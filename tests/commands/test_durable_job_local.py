"""`durable-job-local`: the lines on_lambda/durable_job/README.md gives, run as pasted at the repository root."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys

from commands.worlds import DURABLE_JOB
from tests.commands.deploy.helpers import readme_block, readme_commands
from tests.helpers import ROOT


def _lines() -> list[str]:
    return readme_commands(readme_block(DURABLE_JOB / "README.md", ".venv/bin/durable-job-local"))


def _run(line: str) -> subprocess.CompletedProcess[str]:
    words = shlex.split(line.replace(".venv/bin/", f"{sys.prefix}/bin/"))
    return subprocess.run(words, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_the_readme_shows_three_runs() -> None:
    assert [shlex.split(line)[0] for line in _lines()] == [".venv/bin/durable-job-local"] * 3


def test_the_20_minute_job_succeeds_in_seconds_and_shows_its_history() -> None:
    done = _run(_lines()[0])

    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert ": SUCCEEDED\n" in out and '"result": 9' in out
    # The modeled wait: 1,200 s and the runner's own few milliseconds.
    assert re.search(r"WAIT  delay    SUCCEEDED             1,200\.\d{3} s", out), out
    assert "STEP  compute  SUCCEEDED  attempt 1" in out and "STEP  write    SUCCEEDED  attempt 1" in out
    assert "2 invocations" in out and "WaitStarted delay" in out
    assert '"source": "lambda-durable"' in out


def test_bad_input_fails_with_invalid_input_and_exit_status_1() -> None:
    done = _run(_lines()[1])

    assert done.returncode == 1
    assert ": FAILED\n" in done.stdout and '"type": "InvalidInput"' in done.stdout
    assert "item: (none written)" in done.stdout


def test_json_output_has_the_run_and_the_item() -> None:
    done = _run(_lines()[2])

    assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads(done.stdout)
    assert run["status"] == "SUCCEEDED" and run["result"]["result"] == 0.3
    assert run["item"]["result"] == "0.3" and [op["name"] for op in run["operations"]] == [
        "compute",
        "delay",
        "write",
    ]


def test_a_payload_that_is_not_json_is_refused() -> None:
    done = _run(".venv/bin/durable-job-local '{not json'")

    assert done.returncode == 2 and "PAYLOAD is not JSON" in done.stderr
