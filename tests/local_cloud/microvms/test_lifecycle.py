"""A MicroVM's states through real boto3 and HTTP: run, suspend (by API and when idle), resume (by API and
on a request), both terminations, no idle policy, idempotent termination, the plane's shutdown."""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime

import pytest

from local_cloud.microvms import MicroVmsLocal
from tests.local_cloud.microvms.helpers import (
    TIME_SCALE,
    alive,
    idle,
    images,
    microvms_client,
    pid_gone,
    process_state,
    through,
    token,
    wait_state,
)


def _run(plane: MicroVmsLocal, image: str = "step1", **options):
    client = microvms_client(plane.endpoint_url)
    answer = client.run_microvm(imageIdentifier=plane.image_arn(image), **options)
    return client, answer


def test_run_answers_pending_then_running_and_its_endpoint_answers(microvms_plane: MicroVmsLocal) -> None:
    client, answer = _run(microvms_plane, maximumDurationInSeconds=3600)

    running = wait_state(client, answer["microvmId"], "RUNNING")
    headers = token(client, answer["microvmId"])
    status, body = through(answer["endpoint"], headers)
    ping = through(answer["endpoint"], headers, None, "/ping", "GET")
    listed = client.list_microvms()["items"]

    assert answer["microvmId"].startswith("mvm-") and answer["state"] in ("PENDING", "RUNNING")
    host, port = answer["endpoint"].split(":")
    assert host == "127.0.0.1" and port.isdigit()
    assert answer["imageArn"] == "arn:aws:lambda:us-east-1:123456789012:microvm-image:step1"
    assert (answer["imageVersion"], answer["maximumDurationInSeconds"]) == ("1", 3600)
    assert isinstance(answer["startedAt"], datetime) and "idlePolicy" not in answer
    assert running["endpoint"] == answer["endpoint"] and "stateReason" not in running
    assert (status, body) == (200, {"result": 3})
    assert ping[0] == 200 and ping[1]["status"] == "Healthy"
    assert {"microvmId": answer["microvmId"], "state": "RUNNING"}.items() <= next(
        item for item in listed if item["microvmId"] == answer["microvmId"]
    ).items()


def test_suspend_stops_the_process_and_resume_continues_it_with_its_memory(
    microvms_plane: MicroVmsLocal,
) -> None:
    client, answer = _run(microvms_plane, "counter")
    mid = answer["microvmId"]
    headers = token(client, mid)
    first = through(answer["endpoint"], headers)[1]

    client.suspend_microvm(microvmIdentifier=mid)
    suspending = client.get_microvm(microvmIdentifier=mid)
    suspended = wait_state(client, mid, "SUSPENDED")
    stopped = process_state(first["pid"])
    client.suspend_microvm(microvmIdentifier=mid)  # idempotent
    client.resume_microvm(microvmIdentifier=mid)
    resumed = wait_state(client, mid, "RUNNING")
    second = through(answer["endpoint"], headers)[1]

    assert suspending["state"] in ("SUSPENDING", "SUSPENDED")
    assert (suspended["stateReason"], stopped) == ("USER_REQUEST", "T")
    assert resumed["stateReason"] == "USER_REQUEST" and process_state(first["pid"]) in ("S", "R")
    # The same process, its memory and its disk kept; the hooks saw one suspend and one resume.
    assert (second["pid"], second["instance_id"]) == (first["pid"], first["instance_id"])
    assert (first["calls_in_memory"], second["calls_in_memory"]) == (1, 2)
    assert (first["calls_in_file"], second["calls_in_file"]) == (1, 2)
    assert (second["suspends"], second["resumes"]) == (1, 1)


def test_idle_suspends_and_a_request_resumes_it_when_auto_resume_is_on(microvms_plane: MicroVmsLocal) -> None:
    client, answer = _run(microvms_plane, "counter", idlePolicy=idle(60, 600, True))
    mid = answer["microvmId"]
    headers = token(client, mid)
    first = through(answer["endpoint"], headers)[1]

    started = time.monotonic()
    suspended = wait_state(client, mid, "SUSPENDED", timeout=10)
    idle_for = time.monotonic() - started
    status, second = through(answer["endpoint"], headers)
    running = client.get_microvm(microvmIdentifier=mid)

    # maxIdleDurationSeconds 60 / 60: about a second after the last request.
    assert suspended["stateReason"] == "IDLE_TIMEOUT" and 0.8 <= idle_for < 3
    assert suspended["idlePolicy"] == idle(60, 600, True)
    assert status == 200 and second["pid"] == first["pid"] and second["calls_in_memory"] == 2
    assert (running["state"], running["stateReason"]) == ("RUNNING", "AUTO_RESUME")


def test_without_auto_resume_a_suspended_microvm_answers_502_and_stays_suspended(
    microvms_plane: MicroVmsLocal,
) -> None:
    client, answer = _run(microvms_plane, idlePolicy=idle(60, 600, False))
    mid = answer["microvmId"]
    headers = token(client, mid)
    wait_state(client, mid, "SUSPENDED", timeout=10)

    status, body = through(answer["endpoint"], headers)

    assert status == 502 and "autoResume" in body["message"] and "ResumeMicrovm" in body["message"]
    time.sleep(0.3)
    assert client.get_microvm(microvmIdentifier=mid)["state"] == "SUSPENDED"


def test_suspended_longer_than_its_policy_allows_it_is_terminated(microvms_plane: MicroVmsLocal) -> None:
    client, answer = _run(microvms_plane, idlePolicy=idle(60, 60, True))
    mid = answer["microvmId"]
    pid = microvms_plane.microvm(wait_state(client, mid, "RUNNING")["microvmId"])["pid"]
    suspended = wait_state(client, mid, "SUSPENDED", timeout=10)

    terminated = wait_state(client, mid, "TERMINATED", timeout=10)

    assert suspended["stateReason"] == "IDLE_TIMEOUT"
    assert terminated["stateReason"] == "SUSPENDED_DURATION_EXCEEDED"
    assert isinstance(terminated["terminatedAt"], datetime)
    # About 1 s idle, then about 1 s suspended.
    assert 1.6 <= (terminated["terminatedAt"] - terminated["startedAt"]).total_seconds() < 6
    assert pid_gone(pid)


def test_the_maximum_duration_counts_suspended_time_too(microvms_plane: MicroVmsLocal) -> None:
    client, answer = _run(microvms_plane, maximumDurationInSeconds=90)
    mid = answer["microvmId"]
    wait_state(client, mid, "RUNNING")
    client.suspend_microvm(microvmIdentifier=mid)
    wait_state(client, mid, "SUSPENDED")

    terminated = wait_state(client, mid, "TERMINATED", timeout=10)

    assert terminated["stateReason"] == "MAXIMUM_DURATION_EXCEEDED"
    assert 1.5 <= (terminated["terminatedAt"] - terminated["startedAt"]).total_seconds() < 4


def test_without_an_idle_policy_it_never_suspends(microvms_plane: MicroVmsLocal) -> None:
    client, answer = _run(microvms_plane)
    mid = answer["microvmId"]
    wait_state(client, mid, "RUNNING")

    # Longer than the shortest idle policy (60 s / 60), with no traffic at all.
    time.sleep(1.5)

    assert client.get_microvm(microvmIdentifier=mid)["state"] == "RUNNING"


def test_terminate_is_idempotent_and_a_terminated_microvm_still_answers(
    microvms_plane: MicroVmsLocal,
) -> None:
    client, answer = _run(microvms_plane)
    mid = answer["microvmId"]
    headers = token(client, mid)
    pid = microvms_plane.microvm(wait_state(client, mid, "RUNNING")["microvmId"])["pid"]

    first = client.terminate_microvm(microvmIdentifier=mid)
    terminated = wait_state(client, mid, "TERMINATED")
    again = client.terminate_microvm(microvmIdentifier=mid)
    status, body = through(answer["endpoint"], headers)

    assert first["ResponseMetadata"]["HTTPStatusCode"] == again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert (
        terminated["stateReason"] == "USER_REQUEST" and terminated["terminatedAt"] >= terminated["startedAt"]
    )
    assert status == 502 and "TERMINATED" in body["message"]
    assert pid_gone(pid)
    assert mid in {item["microvmId"] for item in client.list_microvms()["items"]}


@pytest.mark.parametrize("operation", ["suspend_microvm", "resume_microvm", "create_microvm_auth_token"])
def test_an_operation_the_state_forbids_is_a_conflict(microvms_plane: MicroVmsLocal, operation: str) -> None:
    client, answer = _run(microvms_plane)
    mid = answer["microvmId"]
    wait_state(client, mid, "RUNNING")
    if operation != "resume_microvm":  # resume is refused while RUNNING; the others once TERMINATED
        client.terminate_microvm(microvmIdentifier=mid)
        wait_state(client, mid, "TERMINATED")
    extra = {"expirationInMinutes": 5, "allowedPorts": [{"port": 8080}]} if "token" in operation else {}

    with pytest.raises(client.exceptions.ConflictException) as raised:
        getattr(client, operation)(microvmIdentifier=mid, **extra)

    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert (error["resourceId"], error["resourceType"]) == (mid, "MICROVM")
    assert mid in error["message"]


def test_stopping_the_plane_ends_every_microvm_process_suspended_ones_included() -> None:
    with MicroVmsLocal(images()[:1], time_scale=TIME_SCALE, stop_grace=1.0) as plane:
        client, running = _run(plane)
        _, suspended = _run(plane)
        for answer in (running, suspended):
            wait_state(client, answer["microvmId"], "RUNNING")
        client.suspend_microvm(microvmIdentifier=suspended["microvmId"])
        wait_state(client, suspended["microvmId"], "SUSPENDED")
        pids = [plane.microvm(a["microvmId"])["pid"] for a in (running, suspended)]
        assert process_state(pids[1]) == "T" and alive(pids[0])

    assert all(pid_gone(pid, timeout=2) for pid in pids)
    assert [v["state_reason"] for v in plane.microvms()] == ["PLANE_STOPPED", "PLANE_STOPPED"]


def test_a_process_that_dies_ends_its_microvm(microvms_plane: MicroVmsLocal) -> None:
    client, answer = _run(microvms_plane)
    mid = answer["microvmId"]
    pid = microvms_plane.microvm(wait_state(client, mid, "RUNNING")["microvmId"])["pid"]

    os.kill(pid, signal.SIGKILL)
    terminated = wait_state(client, mid, "TERMINATED")

    assert terminated["stateReason"] == "PROCESS_EXITED"
    assert microvms_plane.microvm(mid)["exit"] == "killed by SIGKILL"


def test_spawned_microvms_suspend_and_resume_as_forked_ones_do() -> None:
    with MicroVmsLocal(images()[1:2], time_scale=TIME_SCALE, start_mode="spawn", stop_grace=1.0) as plane:
        client, answer = _run(plane, "counter")
        mid = answer["microvmId"]
        headers = token(client, mid)
        first = through(answer["endpoint"], headers)[1]
        client.suspend_microvm(microvmIdentifier=mid)
        wait_state(client, mid, "SUSPENDED")
        stopped = process_state(first["pid"])
        client.resume_microvm(microvmIdentifier=mid)
        wait_state(client, mid, "RUNNING")
        second = through(answer["endpoint"], headers)[1]

    assert stopped == "T" and second["pid"] == first["pid"]
    assert (second["calls_in_memory"], second["instance_from"], second["resumes"]) == (2, "run hook", 1)
    assert pid_gone(first["pid"], timeout=2)
