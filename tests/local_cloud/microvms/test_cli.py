"""`microvms-local` as a user runs it: its line, its images, boto3 through AWS_ENDPOINT_URL_LAMBDA_MICROVMS,
--time-scale, /_local/microvms, SIGTERM ending every MicroVM; one-line errors for a busy port or a bad
--image."""

from __future__ import annotations

import re
import socket
import subprocess

import pytest

from commands.steps import ROOT
from local_cloud.http import get_json
from local_cloud.loopback import free_port
from tests.helpers import script
from tests.local_cloud.helpers import running
from tests.local_cloud.microvms.helpers import (
    idle,
    microvms_client,
    pid_gone,
    process_state,
    through,
    token,
    wait_state,
)

PLANE_LINE = re.compile(r"^Lambda MicroVMs plane at (http://127\.0\.0\.1:\d+)$")
VIEW_FIELDS = {
    "microvm_id", "image", "state", "pid", "running_seconds", "suspended_seconds", "cpu_seconds",
    "peak_rss_mb", "cost_usd", "state_reason",
}  # fmt: skip


def test_serves_its_images_with_the_time_scale_and_ends_every_microvm_on_sigterm(monkeypatch) -> None:
    port = free_port()
    args = [script("microvms-local"), "--port", str(port), "--image", "counter=on_lambda/microvm",
            "--image", "step1=1_compute_without_model", "--time-scale", "60", "--stop-grace", "1"]  # fmt: skip
    with running(args, [PLANE_LINE]) as (lines, [match]):
        endpoint = match[1]
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA_MICROVMS", endpoint)
        client = microvms_client()
        image = "arn:aws:lambda:us-east-1:123456789012:microvm-image:counter"
        answer = client.run_microvm(imageIdentifier=image, idlePolicy=idle(60, 600, False))
        status, body = through(answer["endpoint"], token(client, answer["microvmId"]))
        # maxIdleDurationSeconds 60 with --time-scale 60: suspended about a second later.
        suspended = wait_state(client, answer["microvmId"], "SUSPENDED", timeout=10)
        [view] = get_json(f"{endpoint}/_local/microvms")
        stopped = process_state(view["pid"])

    assert endpoint == f"http://127.0.0.1:{port}"
    assert lines[0].startswith(
        f"  image {image} <- {ROOT / 'on_lambda' / 'microvm'} (run, resume, suspend, terminate"
    )
    assert (status, body["result"], body["calls_in_memory"]) == (200, 3, 1)
    assert suspended["stateReason"] == "IDLE_TIMEOUT"
    assert set(view) >= VIEW_FIELDS and (view["state"], view["pid"]) == ("SUSPENDED", body["pid"])
    assert stopped == "T" and pid_gone(view["pid"], timeout=5)


def test_a_busy_port_is_one_line_and_a_non_zero_exit() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([script("microvms-local"), "--port", str(port)], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f"microvms-local: cannot serve on 127.0.0.1:{port} (Address already in use); pick another --port"
    ]


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("step1", "--image takes NAME=STEP_FOLDER, got 'step1'"),
        ("step1=no_such_folder", "--image step1=no_such_folder: no agent.py in "),
        ("bad name=1_compute_without_model", "an image name is 1 to 64 letters, digits, '-' or '_'"),
    ],
)
def test_a_bad_image_flag_is_one_line(flag: str, message: str) -> None:
    done = subprocess.run([script("microvms-local"), "--port", str(free_port()), "--image", flag], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)  # fmt: skip

    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("microvms-local: ") and message in line
