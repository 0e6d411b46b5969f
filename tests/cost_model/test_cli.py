"""`python -m cost_model` and `make cost` as users run them, and the README's figures against the code."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
import time
import uuid

import pytest

from commands.cost_model import main
from cost_model import load_prices
from cost_model.table import CAVEAT
from tests.commands.deploy.helpers import base_env, bash, readme_block
from tests.helpers import ROOT, script

SAMPLE = ROOT / "examples" / "lambda_reports" / "orders-api.log"
PROFILE = ["--requests", "1000000", "--cpu-ms", "200", "--wait-ms", "10000", "--memory-mb", "300"]
PATTERN_KEYS = {"stop_after_each", "idle_60", "idle_default"}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [script("cost-model"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def in_process(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args)) == 0
    return out.getvalue()


def assert_pinned_shape(result: dict) -> None:
    assert set(result) == {"lambda", "agentcore", "limits"}
    assert set(result["lambda"]) == {"x86_64", "arm64"}
    assert set(result["agentcore"]) == {"v1", "v2"}
    for version in ("v1", "v2"):
        assert set(result["agentcore"][version]) == PATTERN_KEYS
        assert all(isinstance(v, float) and v >= 0 for v in result["agentcore"][version].values())
    assert all(isinstance(v, float) and v > 0 for v in result["lambda"].values())


@pytest.mark.parametrize(
    ("args", "lambda_x86"),
    [
        pytest.param([*PROFILE, "--lambda-memory-mb", "512", "--json"], 85.20017, id="profile"),
        pytest.param([*PROFILE, "--json", "--free-tier"], 0.0, id="profile-free-tier"),
        pytest.param(["--reports", str(SAMPLE), "--json"], None, id="reports"),
    ],
)
def test_json_has_the_pinned_keys(args, lambda_x86):
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    if lambda_x86 == 0.0:
        # 1 M requests x 10.2 s x 300 MB is 2,988,281 GB-s: over the free tier's 400,000.
        assert result["lambda"]["x86_64"] == pytest.approx((10.2 * 1e6 * 300 / 1024 - 400_000) * 0.0000166667)
    else:
        assert_pinned_shape(result)
        if lambda_x86:
            assert result["lambda"]["x86_64"] == pytest.approx(lambda_x86)
    assert CAVEAT in done.stderr


def test_readable_table_names_the_caveat_break_even_and_limits():
    printed = in_process(*PROFILE, "--lambda-memory-mb", "512", "--idle-timeout", "120")
    assert max(len(line) for line in printed.splitlines()) <= 110
    text = " ".join(printed.split())  # the table wraps long lines
    assert "AgentCore V1, idle timeout 120 s" in text
    assert (
        "Break-even against Lambda x86_64 ($85.20 a month): V1 costs no more while each session idles" in text
    )
    assert "AgentCore Instances:" in text and "1,209,600 s (14 days)" in text
    assert f"Caveat: {CAVEAT}." in text
    prices = load_prices()
    assert f"read {prices['read_on']}" in text and prices["region"] in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--requests", "10"], "a profile needs --cpu-ms, --wait-ms, --memory-mb", id="incomplete"
        ),
        pytest.param(["--reports", str(SAMPLE), "--cpu-ms", "5"], "describe a profile", id="mixed"),
        pytest.param(
            ["--reports", str(SAMPLE), "--cpu-share", "2"], "--cpu-share must be between", id="share"
        ),
        pytest.param(
            [*PROFILE, "--requests-per-session", "0"], "--requests-per-session must be 1", id="per-session"
        ),
        pytest.param([*PROFILE, "--idle-timeout", "30"], "--idle-timeout must be 60", id="idle"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(args, message):
    done = run_cli(*args)
    assert done.returncode == 2
    assert message in done.stderr


def test_a_malformed_report_line_stops_the_command_naming_it(tmp_path):
    bad = tmp_path / "bad.log"
    bad.write_text(SAMPLE.read_text() + "REPORT RequestId: x\tDuration: 12 ms\tMemory Size: 128 MB\n")
    done = run_cli("--reports", str(bad), "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert re.search(
        r"error: .*bad\.log:99: REPORT record without 'Billed Duration', 'Max Memory Used'", done.stderr
    )


def test_plot_is_written_and_is_a_png(tmp_path):
    target = tmp_path / "nested" / "cost.png"
    text = in_process("--reports", str(SAMPLE), "--cpu-share", "0.15", "--plot", str(target))
    assert f"Plot: {target}" in text
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_make_cost_prints_the_comparison_and_writes_the_plot(tmp_path):
    plot = tmp_path / "make-cost.png"
    done = subprocess.run(
        ["make", "--no-print-directory", "cost", f"COST_PLOT={plot}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "24 REPORT records (2 cold starts)" in done.stdout
    assert "AgentCore V2, idle timeout 900 s (default)" in done.stdout
    assert plot.stat().st_size > 10_000


def readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Is AgentCore the new Lambda?")
    return text[start : text.index("\n## ", start + 3)]


def test_readme_worked_example_is_what_the_code_prints():
    block = re.search(
        r"<!-- cost-example: (?P<command>[^>]+) -->\n```text\n(?P<output>.*?)\n```", readme_section(), re.S
    )
    assert block, "README lost its cost-example block"
    command = shlex.split(block["command"])
    assert command[0] == ".venv/bin/cost-model"
    assert in_process(*command[1:]).rstrip("\n") == block["output"]


def test_readme_quotes_the_rates_of_the_price_table():
    section = readme_section()
    prices = load_prices()
    for version in ("v1", "v2"):
        rates = prices["agentcore"]["platform_versions"][version]
        assert f"${rates['vcpu_hour']}" in section
        assert f"${rates['gb_hour']}" in section
    for rate in prices["lambda"]["gb_second"].values():
        assert f"${rate:.10f}" in section
    assert prices["agentcore"]["source"] in section and prices["lambda"]["source"] in section


def test_the_lambda_reports_readme_block_prices_a_log_group_read_with_the_aws_cli(moto_server, tmp_path):
    # The sample's log lines as a function's log group in the embedded AWS; the README's block reads them back
    # with `aws logs filter-log-events` (into a file in tmp_path, not the checkout) and prices them twice.
    group = f"/aws/lambda/orders-{uuid.uuid4().hex[:8]}"
    logs = moto_server.client("logs")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="2026/11/30/[$LATEST]0123")
    now = int(time.time() * 1000)
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    logs.put_log_events(
        logGroupName=group,
        logStreamName="2026/11/30/[$LATEST]0123",
        logEvents=[{"timestamp": now - 1000 + n, "message": line + "\n"} for n, line in enumerate(lines)],
    )
    block = readme_block(ROOT / "examples" / "lambda_reports" / "README.md", "make cost")
    reports, plot = tmp_path / "reports.json", tmp_path / "cost.png"
    script = block.replace("/aws/lambda/my-function", group).replace("reports.json", str(reports))
    script = script.replace("python -m", f"{sys.executable} -m")
    script = script.replace("make cost ", f"make --no-print-directory cost COST_PLOT={plot} ")
    # The venv's aws (CLI v1) first on PATH, pointed at the embedded AWS by AWS_ENDPOINT_URL.
    env = base_env(
        {**moto_server.env(), "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    )

    printed = bash(script, env=env)

    events = json.loads(reports.read_text())["events"]
    assert len(events) == 24 and all(e["message"].startswith("REPORT RequestId:") for e in events)
    direct, echoed, made = printed.partition(f"\n.venv/bin/cost-model --reports {reports} ")  # make's echo
    assert echoed, printed
    for text in (direct, made):
        assert "24 REPORT records (2 cold starts)" in text
        assert "AgentCore V2, idle timeout 900 s (default)" in text
    # Both ran with the same arguments: the same figures (make's run adds its plot).
    assert direct.strip() in made
    assert plot.stat().st_size > 10_000
