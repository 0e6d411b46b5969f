"""The homes beside Lambda and AgentCore (tenant isolation, durable functions, MicroVMs, AgentCore's session
storage pattern) against figures worked out by hand, and against the Lambda pricing page's own examples."""

from __future__ import annotations

import pytest

from cost_model import DurableJob, Homes, IdlePolicy, Tenancy, baseline_gb, compare
from cost_model.microvms import lifecycle, microvms_monthly
from cost_model.model import session_storage_monthly
from cost_model.workload import NO_STARTUP, Request, Session, Startup, Workload, profile_workload

X86, ARM = 0.0000166667, 0.0000133334  # Lambda, USD per GB-second
PER_REQUEST = 0.20 / 1_000_000
OPERATION, WRITTEN, RETAINED = 8.00 / 1_000_000, 0.25, 0.15  # durable: per operation, per GB, per GB-month
VCPU_S, GB_S = 0.0000276944, 0.0000036667  # MicroVMs, running
SNAP_HOUR, SNAP_WRITE, SNAP_READ = 0.0001111111, 0.0038, 0.00155
V1_CPU, V1_GB = 0.0895 / 3600, 0.00945 / 3600
README = {"requests": 1_000_000, "cpu_ms": 200, "wait_ms": 10_000, "memory_mb": 300, "lambda_memory_mb": 512}


def test_durable_reproduces_the_pricing_pages_insurance_claim_example():
    # 1M claims: a 30 s step, a 7-day wait, a 2 s step; 1 GB arm64; 8 KB input, 32 KB per step or wait; kept
    # 14 days; free tier. The page: $421.34 + $0.20 + $32.00 + $26.00 + $10.92 = $490.46.
    workload = profile_workload(1_000_000, 32_000, 7 * 86_400_000, 1024)
    homes = Homes(architecture="arm64", durable=DurableJob(payload_kb=8, checkpoint_kb=32))
    result = compare(workload, free_tier=True, homes=homes)
    assert result["lambda_durable"]["wait_suspended"] == pytest.approx(490.46, abs=0.01)
    counted = result["counted"]["lambda_durable"]["wait_suspended"]
    assert counted["operations_a_month"] == 4_000_000 and counted["invocations_a_month"] == 2_000_000
    assert counted["gb_written_a_month"] == pytest.approx(104)


def test_durable_by_hand_for_the_readme_workload():
    # Waits suspended: 2 invocations of 100 ms at 512 MB; 4 operations; 4 KB written, kept 10.2 s + 14 days.
    # Waiting inside a step: 1 invocation of 10,200 ms; 3 operations; 3 KB.
    gb = 4e6 / 1e6  # a million jobs of 4 KB, at 1,000,000 KB a GB
    suspended = (
        2e6 * 0.1 * 0.5 * X86
        + 2e6 * PER_REQUEST
        + 4e6 * OPERATION
        + gb * WRITTEN
        + gb * (10.2 / 86_400 + 14) / 30 * RETAINED
    )
    in_step = 1e6 * 10.2 * 0.5 * X86 + 1e6 * PER_REQUEST + 3e6 * OPERATION + 3 * WRITTEN
    in_step += 3 * (10.2 / 86_400 + 14) / 30 * RETAINED
    result = compare(profile_workload(**README))
    assert result["lambda_durable"] == pytest.approx(
        {"wait_suspended": suspended, "wait_in_step": in_step}, rel=1e-9
    )


def test_durable_keeps_a_cold_starts_init_in_its_first_invocation_and_counts_given_steps():
    # A REPORT record: Duration 1,000.5 ms (billed 1,001), Init 300 ms, so Billed Duration 1,301; 40% CPU.
    cold = Request(wall_ms=1000.5, cpu_ms=400.2, billed_ms=1301, lambda_memory_mb=1024, peak_memory_mb=200)
    workload = Workload(sample=(cold,), monthly_requests=1, startup=NO_STARTUP)
    shape = DurableJob(steps=3, waits=2, payload_kb=0, checkpoint_kb=0)
    counted = compare(workload, homes=Homes(durable=shape))["counted"]["lambda_durable"]
    # 3 invocations share 400.2 ms: 134 ms each (133.4 rounded up), plus the 300 ms of INIT.
    assert counted["wait_suspended"]["gb_seconds_a_month"] == pytest.approx((300 + 3 * 134) / 1000)
    assert counted["wait_suspended"]["operations_per_job"] == 1 + 3 + 2
    assert counted["wait_in_step"]["gb_seconds_a_month"] == pytest.approx(1.301)


def test_tenant_isolation_reproduces_the_pricing_pages_saas_example():
    # 10M invokes of 2 s at 1,024 MB x86_64, 1K tenants, a 2% cold-start rate: $2 + $333.34 + $33.40.
    workload = profile_workload(10_000_000, 2_000, 0, 1024)
    result = compare(workload, homes=Homes(tenancy=Tenancy(tenants=1_000)))
    assert result["lambda_tenant_isolation"]["estimated"] == pytest.approx(368.74, abs=0.01)
    counted = result["counted"]["lambda_tenant_isolation"]
    assert counted["new_environments_a_month"] == {"estimated": 200_000, "every_request": 10_000_000}


@pytest.mark.parametrize(
    ("tenancy", "cold", "environments"),
    [
        # The sample's own cold-start rate: 2 of 4 records cold, one environment per 2 requests.
        pytest.param(Tenancy(), 2, 500, id="reports-cold-start-rate"),
        # No cold start in the sample: the page's example, one per 50 requests; at least one per tenant.
        pytest.param(Tenancy(tenants=300), 0, 300, id="one-per-tenant-at-least"),
        pytest.param(Tenancy(requests_per_environment=10), 2, 100, id="given-rate"),
        pytest.param(Tenancy(environments=7), 2, 7, id="given-count"),
    ],
)
def test_tenant_environments_from_what_the_user_knows(tenancy, cold, environments):
    sample = tuple(
        Request(
            wall_ms=100, cpu_ms=10, billed_ms=100, lambda_memory_mb=2048, peak_memory_mb=100, cold=n < cold
        )
        for n in range(4)
    )
    workload = Workload(sample=sample, monthly_requests=1_000, startup=NO_STARTUP)
    result = compare(workload, homes=Homes(tenancy=tenancy))
    lam = 1_000 * (0.1 * 2 * X86 + PER_REQUEST)
    assert result["lambda_tenant_isolation"]["estimated"] == pytest.approx(lam + environments * 2 * 0.000167)
    assert result["lambda_tenant_isolation"]["every_request"] == pytest.approx(lam + 1_000 * 2 * 0.000167)


@pytest.mark.parametrize(
    ("memory_mb", "expected"),
    [(1, 0.5), (300, 0.5), (512, 0.5), (513, 1), (1_025, 2), (4_096, 4), (8_000, 8), (20_000, 8)],
)
def test_microvm_baseline_is_the_smallest_size_holding_the_memory(memory_mb, expected):
    assert baseline_gb(memory_mb) == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        # Three requests of 10 s, 300 s apart: busy 30 s, gaps 600 s.
        ("terminate_after_each", (630, 0, 0, 1)),
        ("stay_running", (630 + 660, 0, 0, 1)),
        # Each gap: 60 s idle, 240 s suspended, a write and a resume read; after the last: 60 s, 600 s, a write.
        ("suspend_when_idle", (30 + 60 + 2 * 60, 600 + 2 * 240, 3, 3)),
    ],
)
def test_microvm_lifecycle_under_each_pattern(pattern, expected):
    session = Session(work_s=630, cpu_s=3, peak_memory_mb=300, requests=3)
    life = lifecycle(session, 300, pattern, IdlePolicy(max_idle_s=60, suspended_s=600))
    assert (life.running_s, life.suspended_s, life.suspends, life.reads) == expected


def test_a_gap_longer_than_the_idle_policy_holds_terminates_and_relaunches():
    session = Session(work_s=2 * 10 + 3_600, cpu_s=1, peak_memory_mb=300, requests=2)
    life = lifecycle(session, 3_600, "suspend_when_idle", IdlePolicy(max_idle_s=60, suspended_s=600))
    # The gap: 60 s idle, 600 s suspended, then terminated; the second request relaunches (a read).
    assert (life.running_s, life.suspended_s, life.suspends, life.reads) == (20 + 60 + 60, 1_200, 2, 2)


def test_microvm_monthly_by_hand():
    # README workload: a 0.5 GB / 0.25 vCPU baseline; 0.2 s of CPU on one vCPU bursts 0.75 vCPU above it.
    workload = profile_workload(**README)
    running = 0.25 * VCPU_S + 0.5 * GB_S
    launch = 0.5 * SNAP_READ
    burst = 0.2 * 0.75 * VCPU_S
    image = 0.5 * SNAP_HOUR * 720
    policy = IdlePolicy()  # 60 s idle, 840 s suspended
    expected = {
        "terminate_after_each": 1e6 * (10.2 * running + burst + launch) + image,
        "stay_running": 1e6 * (910.2 * running + burst + launch) + image,
        "suspend_when_idle": 1e6
        * (70.2 * running + burst + launch + 840 / 3600 * 0.5 * SNAP_HOUR + 0.5 * SNAP_WRITE)
        + image,
    }
    for pattern, usd in expected.items():
        assert microvms_monthly(workload, pattern, policy)[0] == pytest.approx(usd, rel=1e-9), pattern


def test_microvm_memory_above_the_largest_baseline_is_billed_as_burst_while_busy():
    # 12 GB used for 100 s on the 8 GB / 4 vCPU baseline: 4 GB above it for those 100 s; CPU within the baseline.
    workload = profile_workload(1, 50_000, 50_000, 12 * 1024)
    usd, counted = microvms_monthly(workload, "terminate_after_each", IdlePolicy())
    assert counted["baseline_gb"] == 8
    expected = 100 * (4 * VCPU_S + 8 * GB_S) + 100 * 4 * GB_S + 8 * SNAP_READ + 8 * SNAP_HOUR * 720
    assert usd == pytest.approx(expected, rel=1e-9)


def test_session_storage_starts_a_session_per_request_and_keeps_no_idle_gap():
    # Five requests 30 s apart: kept as one session they pay 4 gaps; stopped after each, 5 start-ups.
    start = Startup(2, 3, 1200)
    workload = profile_workload(**README, requests_per_session=5, session_gap_s=30, startup=start)
    per_request = 3.2 * V1_CPU + (2 * 1200 + 11 * 300) / 1024 * V1_GB  # ceil(2 + 10.2) = 13 s
    assert session_storage_monthly(workload, "v1") == pytest.approx(1e6 * per_request, rel=1e-12)
    # 3 + 5 x 0.2 CPU-seconds; 2 + 51 + 4 x 30 = 173 s, the first 2 at 1,200 MB.
    one_session = 4 * V1_CPU + (2 * 1200 + 171 * 300) / 1024 * V1_GB
    assert compare(workload)["agentcore"]["v1"]["stop_after_each"] == pytest.approx(2e5 * one_session)
