"""What /_local/microvms says a MicroVM used and would cost, against hand-computed figures: running and
suspended seconds from the MicroVM's own clock, CPU that stops while suspended, the price table's rates."""

from __future__ import annotations

import time

import pytest

from local_cloud.http import get_json
from local_cloud.microvms import MicroVmsLocal
from tests.local_cloud.microvms.helpers import microvms_client, through, token, wait_state

# The hook app's baseline (its template: MinimumMemoryInMiB 1024): 1 GB and 0.5 vCPU (2 GB per vCPU).
# The MicroVMs rates of cost_model/prices.json (us-east-1, arm64), written out by hand.
VCPU_SECOND, GB_SECOND, SNAPSHOT_GB_HOUR = 0.0000276944, 0.0000036667, 0.0001111111
SNAPSHOT_WRITE_GB, SNAPSHOT_READ_GB = 0.0038, 0.00155


def test_usage_and_cost_of_a_microvm_that_worked_slept_and_ended(microvms_plane: MicroVmsLocal) -> None:
    client = microvms_client(microvms_plane.endpoint_url)
    answer = client.run_microvm(imageIdentifier=microvms_plane.image_arn("hook-app"))
    mid = answer["microvmId"]
    headers = token(client, mid)
    worked = through(answer["endpoint"], headers, {"burn": 0.3})[1]
    client.suspend_microvm(microvmIdentifier=mid)
    wait_state(client, mid, "SUSPENDED")
    cpu_at_suspend = microvms_plane.microvm(mid)["cpu_seconds"]
    time.sleep(1.0)
    cpu_after_a_second = microvms_plane.microvm(mid)["cpu_seconds"]
    client.resume_microvm(microvmIdentifier=mid)
    wait_state(client, mid, "RUNNING")
    client.terminate_microvm(microvmIdentifier=mid)
    ended = wait_state(client, mid, "TERMINATED")

    [view] = [v for v in get_json(f"{microvms_plane.endpoint_url}/_local/microvms") if v["microvm_id"] == mid]

    running, suspended = view["running_seconds"], view["suspended_seconds"]
    lifetime = (ended["terminatedAt"] - ended["startedAt"]).total_seconds()
    assert (view["state"], view["state_reason"], view["pid"], view["image"]) == (
        "TERMINATED", "USER_REQUEST", worked["pid"], "hook-app",
    )  # fmt: skip
    assert 1.0 <= suspended < 1.5 and running > 0
    assert running + suspended == pytest.approx(lifetime, abs=0.05)
    # Stopped, it used no CPU; it burned 0.3 s of CPU when asked.
    assert cpu_after_a_second == cpu_at_suspend
    assert 0.3 <= view["cpu_seconds"] < 2.0 and view["peak_rss_mb"] > 20
    assert (view["suspends"], view["resumes"], view["memory_gb"]) == (1, 1, 1.0)
    # Baseline every running second, storage every suspended hour, one snapshot write, two reads (launch,
    # resume): all at 1 GB.
    expected = (
        running * (0.5 * VCPU_SECOND + 1 * GB_SECOND)
        + suspended / 3600 * 1 * SNAPSHOT_GB_HOUR
        + 1 * (1 * SNAPSHOT_WRITE_GB + 2 * SNAPSHOT_READ_GB)
    )
    assert view["cost_usd"] == pytest.approx(expected, rel=1e-9)


def test_a_microvm_that_never_suspended_pays_its_baseline_and_one_launch(
    microvms_plane: MicroVmsLocal,
) -> None:
    client = microvms_client(microvms_plane.endpoint_url)
    # Step 1 has no image definition: the default baseline, 2 GB and 1 vCPU. 60 s / 60: a second.
    answer = client.run_microvm(
        imageIdentifier=microvms_plane.image_arn("step1"), maximumDurationInSeconds=60
    )
    wait_state(client, answer["microvmId"], "TERMINATED", timeout=10)

    view = microvms_plane.microvm(answer["microvmId"])

    assert (view["state_reason"], view["suspended_seconds"], view["memory_gb"]) == (
        "MAXIMUM_DURATION_EXCEEDED", 0, 2.0,
    )  # fmt: skip
    assert 1.0 <= view["running_seconds"] < 2.5
    expected = view["running_seconds"] * (1 * VCPU_SECOND + 2 * GB_SECOND) + 2 * SNAPSHOT_READ_GB
    assert view["cost_usd"] == pytest.approx(expected, rel=1e-9)
