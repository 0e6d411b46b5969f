"""Helpers for the MicroVMs plane's tests: a real boto3 lambda-microvms client, tokens, calls through a
MicroVM's endpoint over HTTP, and what the OS says of a MicroVM's process."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from commands.steps import ROOT
from commands.worlds import step_image
from local_cloud.http import call
from local_cloud.microvms import AUTH_HEADER, ImageSpec

COUNTER = ROOT / "on_lambda" / "microvm"
HOOK_APP = Path(__file__).resolve().parent / "hook_app"
PAYLOAD = {"prompt": {"a": 1, "b": 2}}
# Every plane of these tests divides the service's durations by 60: 60 s of idle policy is 1 s.
TIME_SCALE = 60


def images() -> list[ImageSpec]:
    """Step 1, the session counter (hooks on a port of their own) and the hook app (hooks on 8080)."""
    return [
        step_image("step1", "1_compute_without_model"),
        step_image("counter", COUNTER),
        step_image("hook-app", HOOK_APP),
    ]


def microvms_client(endpoint_url: str | None = None) -> Any:
    """A real boto3 lambda-microvms client (test credentials, no retries); AWS_ENDPOINT_URL_LAMBDA_MICROVMS
    when no endpoint is given."""
    return boto3.client(
        "lambda-microvms",
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=60),
    )


def idle(seconds: int = 60, suspended: int = 600, auto_resume: bool = True) -> dict[str, Any]:
    """An idlePolicy (service seconds)."""
    return {
        "maxIdleDurationSeconds": seconds,
        "suspendedDurationSeconds": suspended,
        "autoResumeEnabled": auto_resume,
    }


def token(client: Any, microvm_id: str, minutes: int = 60, ports: list[dict] | None = None) -> dict[str, str]:
    """CreateMicrovmAuthToken's authToken map: the headers to send as they are (60 min: 60 s here)."""
    answer = client.create_microvm_auth_token(
        microvmIdentifier=microvm_id, expirationInMinutes=minutes, allowedPorts=ports or [{"port": 8080}]
    )
    return dict(answer["authToken"])


def through(endpoint: str, headers: dict[str, str] | None, body: Any = PAYLOAD, path: str = "/invocations",
            method: str = "POST") -> tuple[int, Any]:  # fmt: skip
    """A request through a MicroVM's endpoint (`127.0.0.1:<port>`, plain HTTP): (status, JSON body)."""
    status, _, answer = call(f"http://{endpoint}{path}", body, headers, method=method, timeout=30)
    return status, answer


def wait_state(client: Any, microvm_id: str, states: set[str] | str, timeout: float = 15) -> dict[str, Any]:
    """Poll GetMicrovm until the MicroVM is in one of the states."""
    wanted = {states} if isinstance(states, str) else states
    deadline = time.monotonic() + timeout
    while True:
        got = client.get_microvm(microvmIdentifier=microvm_id)
        if got["state"] in wanted:
            return dict(got)
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{microvm_id} still {got['state']} ({got.get('stateReason')}) after {timeout} s"
            )
        time.sleep(0.02)


def process_state(pid: int) -> str | None:
    """The process's state letter from /proc (R, S, T for stopped...), None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


def alive(pid: int) -> bool:
    """Whether a process with this pid exists (and is not a zombie)."""
    return process_state(pid) not in (None, "Z")


def counter_view(plane_views: list[dict[str, Any]], microvm_id: str) -> dict[str, Any]:
    """One MicroVM's row of /_local/microvms."""
    [view] = [v for v in plane_views if v["microvm_id"] == microvm_id]
    return view


def plan(**hooks: Any) -> str:
    """The hook app's runHookPayload: how each hook behaves ("ok", "fail" or seconds to sleep)."""
    return json.dumps(hooks)


def auth_only(headers: dict[str, str]) -> dict[str, str]:
    """The token headers alone (as CreateMicrovmAuthToken gave them)."""
    return {AUTH_HEADER: headers[AUTH_HEADER]}


def pid_gone(pid: int, timeout: float = 10) -> bool:
    """Wait for a process to be gone."""
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
