"""The `python -m bench --only ...` commands the READMEs give, at their smallest (1 round of 0.2 s), never
rewriting bench/results.md (`--no-write`): each section runs, prints its table and checks its answers."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.helpers import ROOT

RESULTS = ROOT / "bench" / "results.md"


def readme_command(readme: str, section: str) -> list[str]:
    """The README's `python -m bench --only <section> ...` command, as words."""
    text = (ROOT / readme).read_text(encoding="utf-8")
    [command] = set(re.findall(rf"`((?:\.venv/bin/)?python -m bench --only {section}[^`]*)`", text))
    return command.split()


@pytest.mark.parametrize(
    ("readme", "section", "printed"),
    [
        pytest.param(
            "README.md",
            "deploy-paths",
            r"^\s+note: every variant answered 0\.1 \+ 0\.2 with 200 \{'result': 0\.3\}: yes$",
            id="deploy-paths",
        ),
        pytest.param(
            "6_event_sources/README.md",
            "events",
            r"^\s+queue: records/s \(20 messages\)\s+\d+\.\d \(",
            # about 30 s: the world, 20 messages and 5 jobs straight to the runtime (a short run's volumes)
            marks=pytest.mark.slow,
            id="events",
        ),
        pytest.param(
            "local_cloud/README.md",
            "local_runtime",
            r"^\s+4_dynamodb_sink\s+\d+\.\d+ \(",
            marks=pytest.mark.slow,  # about 20 s: 100 requests per path and four new sessions, whatever the rounds
            id="local_runtime",
        ),
        pytest.param(
            "on_lambda/durable_job/README.md",
            "durable",
            r"^\s+target met\s+durable job, 20-minute wait: wall time",
            marks=pytest.mark.slow,  # about 10 s a round: durable runs and three new step 4 sessions
            id="durable",
        ),
        pytest.param(
            "local_cloud/README.md",
            "microvms",
            r"^\s+4_dynamodb_sink: warm call, direct p50 / added p50 \(ms\) / added / direct\s+\d+\.\d+ / \+",
            marks=pytest.mark.slow,  # about 40 s: two planes per start mode and 100 requests per path
            id="microvms",
        ),
    ],
)
def test_the_readme_bench_command_runs_its_section(readme: str, section: str, printed: str) -> None:
    command = readme_command(readme, section)
    assert "--no-write" in command, f"{readme}: {' '.join(command)} would rewrite bench/results.md"
    before = RESULTS.read_bytes()
    done = subprocess.run(
        [sys.executable, *command[1:], "--rounds", "1", "--duration", "0.2"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(printed, done.stdout, re.M), done.stdout[-3000:]
    assert re.search(r"^total \d+ s$", done.stdout, re.M), done.stdout[-3000:]
    assert RESULTS.read_bytes() == before
