"""Lifecycle hooks through real boto3 and HTTP: /run with its payload, a failing or slow /run (its timeout
divided by the time scale), /suspend, /resume and /terminate, a failing /resume or a slow /suspend; the
session counter's /run hook drawing the MicroVM's own instance id."""

from __future__ import annotations

import dataclasses

import pytest

from local_cloud.microvms import MicroVmsLocal
from tests.local_cloud.microvms.helpers import (
    TIME_SCALE,
    microvms_client,
    pid_gone,
    plan,
    through,
    token,
    wait_state,
)


def _hooks(plane: MicroVmsLocal, microvm_id: str) -> list[tuple[str, str]]:
    return [(h["hook"], h["outcome"]) for h in plane.microvm(microvm_id)["hooks"]]


def test_the_run_hook_gets_the_microvm_id_and_the_payload(microvms_plane: MicroVmsLocal) -> None:
    client = microvms_client(microvms_plane.endpoint_url)
    payload = plan(run="ok", tenant="t-1")
    answer = client.run_microvm(imageIdentifier=microvms_plane.image_arn("hook-app"), runHookPayload=payload)
    wait_state(client, answer["microvmId"], "RUNNING")

    status, seen = through(answer["endpoint"], token(client, answer["microvmId"]), {})

    assert status == 200
    assert seen["run_body"] == {"microvmId": answer["microvmId"], "runHookPayload": payload}
    assert seen["hooks"] == ["run"]
    [run] = microvms_plane.microvm(answer["microvmId"])["hooks"]
    # RunTimeoutInSeconds 60, divided by the time scale.
    assert (run["hook"], run["status"], run["outcome"], run["timeout"]) == ("run", 200, "ok", 60 / TIME_SCALE)


@pytest.mark.parametrize(
    ("behaviour", "reason", "outcome"),
    [("fail", "RUN_HOOK_FAILED", "failed"), (1.5, "RUN_HOOK_TIMED_OUT", "timed_out")],
)
def test_a_failing_or_slow_run_hook_fails_the_start(
    microvms_plane: MicroVmsLocal, behaviour, reason: str, outcome: str
) -> None:
    client = microvms_client(microvms_plane.endpoint_url)
    answer = client.run_microvm(
        imageIdentifier=microvms_plane.image_arn("hook-app"), runHookPayload=plan(run=behaviour)
    )
    headers = token(client, answer["microvmId"])

    status, body = through(answer["endpoint"], headers, {})
    terminated = wait_state(client, answer["microvmId"], "TERMINATED")
    view = microvms_plane.microvm(answer["microvmId"])

    assert status == 502 and reason in body["message"]
    assert terminated["stateReason"] == reason and "terminatedAt" in terminated
    assert _hooks(microvms_plane, answer["microvmId"]) == [("run", outcome)]
    assert pid_gone(view["pid"])


def test_a_run_hook_within_its_timeout_starts_the_microvm(microvms_plane: MicroVmsLocal) -> None:
    client = microvms_client(microvms_plane.endpoint_url)
    # 0.3 s: within RunTimeoutInSeconds 60 / 60.
    answer = client.run_microvm(
        imageIdentifier=microvms_plane.image_arn("hook-app"), runHookPayload=plan(run=0.3)
    )

    running = wait_state(client, answer["microvmId"], "RUNNING")

    [run] = microvms_plane.microvm(answer["microvmId"])["hooks"]
    assert running["state"] == "RUNNING" and run["outcome"] == "ok" and 0.3 <= run["seconds"] < 1


def test_suspend_resume_and_terminate_hooks_are_called_in_order(microvms_plane: MicroVmsLocal) -> None:
    client = microvms_client(microvms_plane.endpoint_url)
    answer = client.run_microvm(imageIdentifier=microvms_plane.image_arn("hook-app"))
    mid = answer["microvmId"]
    wait_state(client, mid, "RUNNING")

    client.suspend_microvm(microvmIdentifier=mid)
    wait_state(client, mid, "SUSPENDED")
    client.resume_microvm(microvmIdentifier=mid)
    wait_state(client, mid, "RUNNING")
    seen = through(answer["endpoint"], token(client, mid), {})[1]
    client.terminate_microvm(microvmIdentifier=mid)
    wait_state(client, mid, "TERMINATED")

    assert seen["hooks"] == ["run", "suspend", "resume"]
    assert _hooks(microvms_plane, mid) == [
        ("run", "ok"), ("suspend", "ok"), ("resume", "ok"), ("terminate", "ok"),
    ]  # fmt: skip


def test_a_failing_resume_hook_ends_the_microvm_and_the_held_request_gets_502(
    microvms_plane: MicroVmsLocal,
) -> None:
    client = microvms_client(microvms_plane.endpoint_url)
    answer = client.run_microvm(
        imageIdentifier=microvms_plane.image_arn("hook-app"),
        runHookPayload=plan(resume="fail"),
        idlePolicy={"maxIdleDurationSeconds": 60, "suspendedDurationSeconds": 600, "autoResumeEnabled": True},
    )
    mid = answer["microvmId"]
    headers = token(client, mid)
    wait_state(client, mid, "SUSPENDED", timeout=10)

    status, body = through(answer["endpoint"], headers, {})
    terminated = wait_state(client, mid, "TERMINATED")

    assert status == 502 and "RESUME_HOOK_FAILED" in body["message"]
    assert terminated["stateReason"] == "RESUME_HOOK_FAILED"
    assert _hooks(microvms_plane, mid)[:3] == [("run", "ok"), ("suspend", "ok"), ("resume", "failed")]


def test_a_slow_suspend_hook_does_not_stop_the_suspend(microvms_plane: MicroVmsLocal) -> None:
    client = microvms_client(microvms_plane.endpoint_url)
    answer = client.run_microvm(
        imageIdentifier=microvms_plane.image_arn("hook-app"), runHookPayload=plan(suspend=3)
    )
    mid = answer["microvmId"]
    wait_state(client, mid, "RUNNING")

    client.suspend_microvm(microvmIdentifier=mid)
    suspending = client.get_microvm(microvmIdentifier=mid)["state"]
    suspended = wait_state(client, mid, "SUSPENDED", timeout=5)

    assert (suspending, suspended["stateReason"]) == ("SUSPENDING", "USER_REQUEST")
    assert _hooks(microvms_plane, mid) == [("run", "ok"), ("suspend", "timed_out")]
    client.terminate_microvm(microvmIdentifier=mid)


def test_the_counters_run_hook_draws_each_microvms_instance_id(microvms_plane: MicroVmsLocal) -> None:
    counter = microvms_plane.image(microvms_plane.image_arn("counter"))
    assert counter is not None
    # The same code without its hooks (no HOOKS_PORT, no hook calls).
    unhooked = dataclasses.replace(
        counter, name="counter-no-hooks", arn=microvms_plane.image_arn("counter-no-hooks"), hooks=None, env={}
    )
    microvms_plane.add_image(unhooked)
    client = microvms_client(microvms_plane.endpoint_url)

    def first_answer(image: str) -> dict:
        answer = client.run_microvm(
            imageIdentifier=microvms_plane.image_arn(image), runHookPayload="tenant-7"
        )
        seen = through(answer["endpoint"], token(client, answer["microvmId"]))[1]
        client.terminate_microvm(microvmIdentifier=answer["microvmId"])
        return seen

    hooked, bare = first_answer("counter"), first_answer("counter-no-hooks")

    # On AWS every MicroVM resumes from one snapshot, so an id drawn at import is every MicroVM's; /run draws
    # its own. (Forked here, a MicroVM runs agent.py as __main__ again: its own module is not cloned.)
    assert (hooked["instance_from"], hooked["run_payload"]) == ("run hook", "tenant-7")
    assert (bare["instance_from"], bare["run_payload"]) == ("import", None)
