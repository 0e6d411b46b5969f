"""`cost-model` and `make cost` as users run them, and the README's figures against the code."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import time
import uuid

import pytest

from commands.cost_model import main
from cost_model import figure, load_prices
from cost_model.table import CAVEAT
from tests.commands.deploy.helpers import base_env, bash, readme_block, readme_commands
from tests.helpers import ROOT, script

SAMPLE = ROOT / "examples" / "lambda_reports" / "orders-api.log"
PROFILE = ["--requests", "1000000", "--cpu-ms", "200", "--wait-ms", "10000", "--memory-mb", "300"]
PATTERN_KEYS = {"stop_after_each", "idle_60", "idle_default"}
# The keys the JSON always had, exactly as they were; then the homes and facts added beside them.
PINNED = {"lambda", "agentcore", "limits"}
NEW_HOMES = {
    "lambda_tenant_isolation": {"estimated", "every_request"},
    "lambda_durable": {"wait_suspended", "wait_in_step"},
    "microvms": {"terminate_after_each", "suspend_when_idle", "stay_running"},
    "agentcore_session_storage": {"v1", "v2"},
}
ADDED = {"counted", "limits_new_homes", "not_priced"}
WORKED = [*PROFILE, "--lambda-memory-mb", "512"]


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


def json_of(*args: str) -> dict:
    return json.loads(in_process(*args, "--json"))


def assert_pinned_shape(result: dict) -> None:
    assert set(result) == PINNED | set(NEW_HOMES) | ADDED
    assert set(result["lambda"]) == {"x86_64", "arm64"}
    assert set(result["agentcore"]) == {"v1", "v2"}
    for version in ("v1", "v2"):
        assert set(result["agentcore"][version]) == PATTERN_KEYS
        assert all(isinstance(v, float) and v >= 0 for v in result["agentcore"][version].values())
    assert all(isinstance(v, float) and v > 0 for v in result["lambda"].values())
    assert set(result["limits"]) == {"lambda", "agentcore_microvm", "agentcore_instances"}
    for home, patterns in NEW_HOMES.items():
        assert set(result[home]) == patterns, home
        assert all(isinstance(v, float) and v > 0 for v in result[home].values()), home
    assert set(result["not_priced"]) == {
        "lambda_web_functions",
        "lambda_managed_instances",
        "lambda_tenant_isolation_arm64",
        "agentcore_instances",
        "agentcore_session_storage_files",
    }
    assert all(entry["why"] and entry["source"].startswith("http") for entry in result["not_priced"].values())


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
    printed = in_process(*WORKED, "--idle-timeout", "120")
    assert max(len(line) for line in printed.splitlines()) <= 110
    text = " ".join(printed.split())  # the table wraps long lines
    assert "AgentCore V1, idle timeout 120 s" in text
    # Start-up billed by default: even a session stopped right after its work costs more than Lambda.
    assert (
        "Break-even against Lambda x86_64 ($85.2 a month): V1 costs more even when each session is stopped "
        "right after its work" in text
    )
    assert "AgentCore Instances:" in text and "1,209,600 s (14 days)" in text
    assert f"Caveat: {CAVEAT}." in text
    prices = load_prices()
    assert f"read {prices['read_on']}" in text and prices["region"] in text
    without_startup = " ".join(in_process(*WORKED, "--startup-s", "0", "--startup-cpu-s", "0").split())
    assert "V1 costs no more while each session idles at most 93 s after it" in without_startup


def test_the_table_names_every_home_in_words_and_says_what_is_not_priced():
    text = " ".join(in_process(*WORKED).split())
    for words in (
        "Lambda x86_64 with tenant isolation, a new environment per 50 requests",
        "Lambda durable x86_64, waits suspended (not billed)",
        "Lambda MicroVM 0.5 GB, suspended after 60 s idle (held 900 s)",
        "AgentCore V2, stopped after every request, files kept",
        "Lambda durable, per job: 1 start + 2 steps + 1 wait = 4 operations, 2 invocations",
        "A month: 4,000,000 operations, 2,000,000 invocations",
        "each billed a start-up of 2 s at 1,200 MB and 3 vCPU-s",
    ):
        assert words in text, words
    for entry in load_prices()["lambda_web_functions"], load_prices()["agentcore_instances"]:
        assert " ".join(entry["not_priced_here"].split()) in text
    for code_name in ("wait_suspended", "stop_after_each", "suspend_when_idle", "every_request"):
        assert code_name not in text


def test_every_figure_in_the_table_has_one_format():
    # The priced rows: a label, then USD and its ratio, each to 3 significant figures (85.2, 1,380, 0.415x).
    rows = [
        line
        for line in in_process(*WORKED, "--requests", "24").splitlines()
        if line.startswith(("Lambda", "AgentCore"))
    ]
    assert len(rows) == 17
    for row in rows:
        usd, ratio = row.split()[-2:]
        value = float(usd.replace(",", ""))
        assert usd == figure(value) and len(usd.replace(",", "").replace(".", "").lstrip("0")) <= 3, row
        assert ratio.endswith("x") and ratio[:-1] == figure(float(ratio[:-1])), row
    # 24 requests a month: small values show their 3 figures, never 0.00 nor 0.000965 beside 0.01.
    assert any(row.split()[-2].startswith("0.000") for row in rows)


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
        pytest.param([*PROFILE, "--microvm-idle-s", "59"], "--microvm-idle-s must be 60", id="microvm-idle"),
        pytest.param([*PROFILE, "--tenants", "0"], "--tenants must be 1 or more", id="tenants"),
        pytest.param(
            [*PROFILE, "--durable-retention-days", "91"],
            "--durable-retention-days must be 1 to 90",
            id="retention",
        ),
        pytest.param(
            [*PROFILE, "--startup-cpu-s", "-1", "--durable-waits", "-2"],
            "--startup-cpu-s, --durable-waits must not be negative",
            id="negative",
        ),
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
    """The README's "The arithmetic, as code" section (the cost model's own part of the README)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### The arithmetic, as code")
    end = re.compile(r"\n##+ ").search(text, start + 3)
    return text[start : end.start() if end else len(text)]


def worked_example() -> tuple[list[str], str]:
    block = re.search(
        r"<!-- cost-example: (?P<command>[^>]+) -->\n```text\n(?P<output>.*?)\n```", readme_section(), re.S
    )
    assert block, "README lost its cost-example block"
    return shlex.split(block["command"]), block["output"]


def test_readme_worked_example_is_what_the_code_prints():
    command, output = worked_example()
    assert command[0] == ".venv/bin/cost-model"
    assert in_process(*command[1:]).rstrip("\n") == output


def test_readmes_other_examples_price_the_same_workload_as_the_worked_example():
    command, output = worked_example()
    block = readme_block(ROOT / "README.md", ".venv/bin/cost-model --requests")
    [json_line] = [line for line in block.splitlines() if line.startswith(".venv/bin/cost-model --requests")]
    flags = shlex.split(json_line.split("#")[0])
    assert flags[0] == ".venv/bin/cost-model" and "--json" in flags
    assert [f for f in flags if f != "--json"] == command
    result = json_of(*command[1:])
    table_row = next(line for line in output.splitlines() if line.startswith("Lambda x86_64 "))
    assert table_row.split()[-2] == figure(result["lambda"]["x86_64"])
    # The plot's caption draws the same command.
    caption = re.search(
        r"\(`(\.venv/bin/cost-model [^`]+ --plot images/cost-model\.png)`", readme_section(), re.S
    )
    assert caption and shlex.split(caption[1].replace("\n", " "))[:-2] == command


def test_every_command_of_the_readme_cost_block_runs():
    # Each line as pasted at the repository root: cost-model lines as they are, make lines as make expands
    # them (`make -n`); without their plot (drawn by test_make_cost_prints_the_comparison_and_writes_the_plot).
    block = readme_block(ROOT / "README.md", "make cost COST_ARGS=")
    for line in readme_commands(block):
        args = shlex.split(line)
        if args[0] == "make":
            done = subprocess.run(
                ["make", "-n", "--no-print-directory", *args[1:]],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
            [expanded] = [out for out in done.stdout.splitlines() if out.startswith(".venv/bin/cost-model ")]
            args = shlex.split(expanded)
        assert args[0] == ".venv/bin/cost-model", line
        if "--plot" in args:
            del args[args.index("--plot") : args.index("--plot") + 2]
        printed = in_process(*args[1:])
        assert printed.startswith("{") or "Monthly list prices" in printed, line


@pytest.mark.parametrize(
    ("extra", "path", "shown", "quoted"),
    [
        ([], ("lambda_durable", "wait_suspended"), "35.3", "durable function costs 35.3 a month"),
        (["--wait-ms", "60000"], ("lambda_durable", "wait_suspended"), "35.3", "(35.3 at 1 minute"),
        (
            ["--wait-ms", "3600000"],
            ("lambda_durable", "wait_suspended"),
            "35.3",
            "(35.3 at 1 minute and at 1 hour)",
        ),
        (["--wait-ms", "60000"], ("agentcore", "v1", "stop_after_each"), "133", "each: 133 at 1 minute"),
        (["--wait-ms", "3600000"], ("agentcore", "v1", "stop_after_each"), "2,860", "2,860 at 1 hour"),
        (
            ["--startup-s", "0", "--startup-cpu-s", "0"],
            ("agentcore", "v1", "stop_after_each"),
            "13.4",
            "(13.4 with",
        ),
        (["--requests-per-session", "10"], ("agentcore", "v1", "stop_after_each"), "20.9", "V1 costs 20.9"),
        (["--requests-per-session", "50"], ("microvms", "terminate_after_each"), "109", "109 at 50 requests"),
        ([], ("microvms", "suspend_when_idle"), "3,310", "3,310 suspended when idle"),
    ],
)
def test_the_readme_prose_quotes_what_the_code_prints(extra, path, shown, quoted):
    # The worked example with one thing changed (a flag given again wins).
    command, _ = worked_example()
    value = json_of(*command[1:], *extra)
    for key in path:
        value = value[key]
    assert figure(value) == shown
    assert shown in quoted and quoted in " ".join(readme_section().split())


def test_readme_quotes_the_rates_of_the_price_table():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    prices = load_prices()
    for version in ("v1", "v2"):
        rates = prices["agentcore"]["platform_versions"][version]
        assert f"${rates['vcpu_hour']}" in text
        assert f"${rates['gb_hour']}" in text
    for rate in prices["lambda"]["gb_second"].values():
        assert f"${rate:.10f}" in text
    assert prices["agentcore"]["source"] in text and prices["lambda"]["source"] in text


def _log_group_of_the_sample(moto_server) -> str:
    """The sample's REPORT lines as a function's log group in the embedded AWS."""
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
    return group


def _aws_cli_env(moto_server) -> dict[str, str]:
    """The env for a README block's .venv/bin/aws (CLI v1), pointed at the embedded AWS, no user config."""
    return base_env(
        {**moto_server.env(), "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    )


def test_the_lambda_reports_readme_block_prices_a_log_group_read_with_the_aws_cli(moto_server, tmp_path):
    # The README's block reads the log group back with `aws logs filter-log-events` (into a file in
    # tmp_path, not the checkout) and prices it twice.
    group = _log_group_of_the_sample(moto_server)
    block = readme_block(ROOT / "examples" / "lambda_reports" / "README.md", "make cost")
    reports, plot = tmp_path / "reports.json", tmp_path / "cost.png"
    assert not re.search(r"(^|\s)(python|aws|cost-model) ", block), "every command through .venv/bin/"
    script = block.replace("/aws/lambda/my-function", group).replace("reports.json", str(reports))
    script = script.replace("make cost ", f"make --no-print-directory cost COST_PLOT={plot} ")
    printed = bash(script, env=_aws_cli_env(moto_server))

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


def cli_json(*args: str) -> dict:
    done = run_cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_long_wait_leaves_the_durable_home_nearly_flat_while_agentcore_grows_with_it():
    # The "done when", from the command's own --json: the same job waiting a minute, then a day.
    minute, day = (
        cli_json("--requests", "100000", "--cpu-ms", "500", "--wait-ms", wait, "--memory-mb", "512")
        for wait in ("60000", "86400000")
    )
    durable = day["lambda_durable"]["wait_suspended"] / minute["lambda_durable"]["wait_suspended"]
    assert durable < 1.01  # only the data kept a day longer
    for version in ("v1", "v2"):
        agentcore = (
            day["agentcore"][version]["stop_after_each"] / minute["agentcore"][version]["stop_after_each"]
        )
        assert agentcore > 100  # its session's memory, every second of the wait
    assert minute["counted"]["lambda_durable"]["wait_suspended"]["operations_per_job"] == 4
    assert day["counted"]["lambda_durable"]["wait_suspended"]["invocations_a_month"] == 200_000


def test_suspending_makes_a_microvms_idle_time_cheaper_than_running_idle():
    # Ten requests a session, half an hour apart; the idle policy keeps a suspended MicroVM an hour.
    result = cli_json(
        *PROFILE,
        "--requests-per-session", "10",
        "--session-gap-s", "1800",
        "--microvm-suspended-s", "3600",
    )  # fmt: skip
    microvms, counted = result["microvms"], result["counted"]["microvms"]
    # The same requests and the same time held: only how the idle time is spent differs.
    assert counted["suspend_when_idle"]["held_s_per_microvm"] == counted["stay_running"]["held_s_per_microvm"]
    assert counted["suspend_when_idle"]["suspended_s_per_microvm"] > 0
    idle = {p: microvms[p] - microvms["terminate_after_each"] for p in ("suspend_when_idle", "stay_running")}
    assert microvms["suspend_when_idle"] < microvms["stay_running"]
    assert idle["suspend_when_idle"] < idle["stay_running"] / 3


def test_cost_args_add_to_the_make_defaults_and_a_flag_given_again_wins():
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", "cost", "COST_ARGS=--cpu-share 0.2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stdout.splitlines() if "cost-model" in line]
    args = shlex.split(line)
    assert args[args.index("--requests") + 1] == "3000000"
    # The defaults first, then COST_ARGS: both --cpu-share, the later one given last.
    assert [args[n + 1] for n, arg in enumerate(args) if arg == "--cpu-share"] == ["0.15", "0.2"]
    # argparse's last-wins: the command as make runs it prices 3,000,000 requests with 20% CPU.
    text = " ".join(in_process(*args[1 : args.index("--plot")]).split())
    assert "priced as 3,000,000 requests a month" in text and "20% of it taken as CPU" in text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param(
            "missing.log", None, "cannot read (No such file or directory); make one as", id="missing"
        ),
        pytest.param("binary.log", b"REPORT \xff\xfe\n", "not UTF-8 text (byte 7)", id="not-text"),
        pytest.param("folder", "dir", "cannot read (Is a directory)", id="a-directory"),
    ],
)
def test_a_reports_file_that_cannot_be_read_is_one_line_and_a_failure(tmp_path, name, content, message):
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    done = run_cli("--reports", str(path))
    assert done.returncode != 0 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_the_readme_opening_prices_your_own_function_in_the_commands_it_shows(moto_server, tmp_path):
    # The one-screen answer's block after `make demo` (which the demo's own test runs): a day of REPORT
    # lines read with the AWS CLI, then priced on every home.
    block = readme_block(ROOT / "README.md", "logs filter-log-events")
    lines = block.replace("\\\n", " ").splitlines()
    assert lines[0].strip() == "make demo", block
    script = "\n".join(lines[1:])
    assert not re.search(r"(^|\s)(python|aws|cost-model) ", script), "every command through .venv/bin/"
    reports = tmp_path / "reports.json"
    script = script.replace("/aws/lambda/my-function", _log_group_of_the_sample(moto_server))
    script = script.replace("reports.json", str(reports))

    printed = bash(script, env=_aws_cli_env(moto_server))

    assert len(json.loads(reports.read_text())["events"]) == 24
    assert "24 REPORT records (2 cold starts)" in printed
    for home in ("Lambda", "AgentCore V1", "AgentCore V2", "MicroVM", "durable"):
        assert home in printed, home
