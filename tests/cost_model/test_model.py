"""The cost model against figures worked out by hand from the rates in cost_model/prices.json."""

from __future__ import annotations

import math

import pytest

from cost_model.model import agentcore_monthly, break_even_idle_s, compare, lambda_monthly, limits
from cost_model.workload import NO_STARTUP, Request, Startup, Workload, profile_workload, with_wait_share

# us-east-1 list prices as read on 2026-12-01 (the same figures as cost_model/prices.json).
X86, ARM = 0.0000166667, 0.0000133334  # USD per GB-second, first tier
PER_REQUEST = 0.20 / 1_000_000
V1_CPU, V1_GB = 0.0895 / 3600, 0.00945 / 3600  # USD per vCPU-second, per GB-second
V2_CPU, V2_GB = 0.1276 / 3600, 0.0169 / 3600


def session(seconds: float, cpu_s: float, memory_mb: float, cpu_rate: float, gb_rate: float) -> float:
    """One session by hand: CPU seconds, plus max(peak, 128 MB) for every started second (1 s minimum)."""
    return cpu_s * cpu_rate + max(1, math.ceil(seconds)) * max(memory_mb, 128) / 1024 * gb_rate


# The README's worked example: 10 s waiting on a model, 0.2 s CPU, 300 MB peak, Lambda at 512 MB; here without
# AgentCore's billed start-up (the cases that bill it say so).
README = {
    "requests": 1_000_000,
    "cpu_ms": 200,
    "wait_ms": 10_000,
    "memory_mb": 300,
    "lambda_memory_mb": 512,
    "startup": NO_STARTUP,
}


def by_hand(requests: float, wall_s: float, cpu_s: float, peak_mb: float, lambda_mb: float) -> dict:
    """Every figure of the pinned JSON, by hand: one session per request."""
    gb = lambda_mb / 1024
    out: dict = {
        "lambda": {
            "x86_64": requests * (wall_s * gb * X86 + PER_REQUEST),
            "arm64": requests * (wall_s * gb * ARM + PER_REQUEST),
        }
    }
    for version, (cpu_rate, gb_rate) in {"v1": (V1_CPU, V1_GB), "v2": (V2_CPU, V2_GB)}.items():
        out[version] = {
            name: requests * session(wall_s + idle, cpu_s, peak_mb, cpu_rate, gb_rate)
            for name, idle in {"stop_after_each": 0, "idle_60": 60, "idle_default": 900}.items()
        }
    return out


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        # The README's example: 10.2 s on Lambda at 512 MB; 11, 71 and 911 billed seconds at 300 MB.
        pytest.param(README, by_hand(1e6, 10.2, 0.2, 300, 512), id="readme-example"),
        # CPU-bound and short: 10 M requests of 50 ms CPU in 128 MB. Lambda wins (3.04 vs 15.7 at best).
        pytest.param(
            {"requests": 10_000_000, "cpu_ms": 50, "wait_ms": 0, "memory_mb": 128, "startup": NO_STARTUP},
            by_hand(1e7, 0.05, 0.05, 128, 128),
            id="cpu-bound",
        ),
        # Waiting two minutes on a model per request, 1 GB on Lambda, 512 MB peak: AgentCore wins.
        pytest.param(
            {
                "requests": 100_000,
                "cpu_ms": 100,
                "wait_ms": 120_000,
                "memory_mb": 512,
                "lambda_memory_mb": 1024,
                "startup": NO_STARTUP,
            },
            by_hand(1e5, 120.1, 0.1, 512, 1024),
            id="wait-heavy",
        ),
        # 110 ms in 64 MB: AgentCore bills 1 s at 128 MB; Lambda's smallest size is 128 MB too.
        pytest.param(
            {"requests": 1_000, "cpu_ms": 10, "wait_ms": 100, "memory_mb": 64, "startup": NO_STARTUP},
            {
                "lambda": {
                    "x86_64": 1e3 * (0.11 * 0.125 * X86 + PER_REQUEST),
                    "arm64": 1e3 * (0.11 * 0.125 * ARM + PER_REQUEST),
                },
                "v1": {
                    "stop_after_each": 1e3 * (0.01 * V1_CPU + 1 * 0.125 * V1_GB),
                    "idle_60": 1e3 * (0.01 * V1_CPU + 61 * 0.125 * V1_GB),
                    "idle_default": 1e3 * (0.01 * V1_CPU + 901 * 0.125 * V1_GB),
                },
                "v2": {
                    "stop_after_each": 1e3 * (0.01 * V2_CPU + 1 * 0.125 * V2_GB),
                    "idle_60": 1e3 * (0.01 * V2_CPU + 61 * 0.125 * V2_GB),
                    "idle_default": 1e3 * (0.01 * V2_CPU + 901 * 0.125 * V2_GB),
                },
            },
            id="128mb-and-1s-minimums",
        ),
    ],
)
def test_monthly_figures_match_hand_computed(profile, expected):
    result = compare(profile_workload(**profile))
    assert {"lambda", "agentcore", "limits"} <= set(result)
    assert result["lambda"] == pytest.approx(expected["lambda"], rel=1e-9)
    for version in ("v1", "v2"):
        assert result["agentcore"][version] == pytest.approx(expected[version], rel=1e-9)


def test_the_cpu_bound_case_is_cheaper_on_lambda_and_the_wait_heavy_one_on_agentcore():
    cpu_bound = compare(profile_workload(10_000_000, 50, 0, 128, startup=NO_STARTUP))
    assert cpu_bound["lambda"]["x86_64"] < min(cpu_bound["agentcore"]["v1"].values())
    wait_heavy = compare(profile_workload(100_000, 100, 120_000, 512, 1024, startup=NO_STARTUP))
    assert max(wait_heavy["agentcore"]["v1"]["idle_60"], wait_heavy["agentcore"]["v2"]["idle_60"]) < min(
        wait_heavy["lambda"].values()
    )


@pytest.mark.parametrize(
    ("requests", "seconds", "memory_mb", "expected_x86"),
    [
        # 2 M requests of 1 s at 1 GB: 2,000,000 GB-s, 1,600,000 billable; 1 M requests billable.
        (2_000_000, 1.0, 1024, 1_600_000 * X86 + 1_000_000 * PER_REQUEST),
        # Inside the free tier on both counts.
        (500_000, 0.1, 128, 0.0),
        # Requests over the tier, compute under it: 3 M x 0.1 s x 0.125 GB = 37,500 GB-s.
        (3_000_000, 0.1, 128, 2_000_000 * PER_REQUEST),
    ],
)
def test_free_tier(requests, seconds, memory_mb, expected_x86):
    workload = profile_workload(requests, seconds * 1000, 0, memory_mb)
    assert lambda_monthly(workload, "x86_64", free_tier=True) == pytest.approx(
        expected_x86, rel=1e-9, abs=1e-12
    )
    without = requests * (seconds * memory_mb / 1024 * X86 + PER_REQUEST)
    assert lambda_monthly(workload, "x86_64") == pytest.approx(without, rel=1e-9)


@pytest.mark.parametrize(
    ("wall_ms", "billed_ms"),
    [(102.25, 103), (100.0, 100), (0.4, 1), (10_200.0, 10_200)],
)
def test_lambda_bills_whole_milliseconds_rounded_up(wall_ms, billed_ms):
    assert profile_workload(1, wall_ms, 0, 128).sample[0].billed_ms == billed_ms


def test_requests_sharing_a_session_pay_its_idle_tail_once():
    # Five README requests back to back in one session: 51 s busy, 200,000 sessions a month.
    workload = profile_workload(**README, requests_per_session=5)
    assert agentcore_monthly(workload, "v1", 0) == pytest.approx(2e5 * session(51, 1.0, 300, V1_CPU, V1_GB))
    assert agentcore_monthly(workload, "v1", 900) == pytest.approx(
        2e5 * session(951, 1.0, 300, V1_CPU, V1_GB)
    )
    # With 30 s between them the session lives 51 + 4 x 30 = 171 s before its tail.
    spaced = profile_workload(**README, requests_per_session=5, session_gap_s=30)
    assert agentcore_monthly(spaced, "v2", 60) == pytest.approx(2e5 * session(231, 1.0, 300, V2_CPU, V2_GB))


def test_reports_group_into_whole_sessions_in_order():
    a = Request(wall_ms=1000, cpu_ms=100, billed_ms=1000, lambda_memory_mb=512, peak_memory_mb=200)
    b = Request(wall_ms=3000, cpu_ms=300, billed_ms=3000, lambda_memory_mb=512, peak_memory_mb=400)
    workload = Workload(sample=(a, b, a), monthly_requests=6, requests_per_session=2, startup=NO_STARTUP)
    # Three records, two a session: repeated to (a b)(a a)(b a), two passes of the month's six requests.
    expected = session(4, 0.4, 400, V1_CPU, V1_GB) + session(2, 0.2, 200, V1_CPU, V1_GB)
    expected += session(4, 0.4, 400, V1_CPU, V1_GB)
    assert agentcore_monthly(workload, "v1", 0) == pytest.approx(expected)


def test_startup_and_v2_memory_options():
    # 2 s of start-up at 1,200 MB and 3 vCPU-s, then the request at its 300 MB (V2: the measured 150 MB):
    # ceil(2 + 10.2) = 13 billed seconds, the first 2 at 1,200 MB.
    workload = profile_workload(**{**README, "startup": Startup(2, 3, 1200)}, v2_memory_mb=150)
    v1 = 3.2 * V1_CPU + (2 * 1200 + 11 * 300) / 1024 * V1_GB
    v2 = 3.2 * V2_CPU + (2 * 1200 + 11 * 150) / 1024 * V2_GB
    assert agentcore_monthly(workload, "v1", 0) == pytest.approx(1e6 * v1, rel=1e-12)
    assert agentcore_monthly(workload, "v2", 0) == pytest.approx(1e6 * v2, rel=1e-12)


def test_startup_is_billed_by_default_from_the_price_table():
    # prices.json's agentcore.startup: 2 s at 1,200 MB and 3 vCPU-s per new session; a 60 s idle tail adds 60
    # seconds at the session's 300 MB: ceil(2 + 10.2 + 60) = 73 billed seconds.
    workload = profile_workload(**{k: v for k, v in README.items() if k != "startup"})
    assert workload.startup == Startup(2.0, 3.0, 1200.0)
    expected = 3.2 * V1_CPU + (2 * 1200 + 71 * 300) / 1024 * V1_GB
    assert agentcore_monthly(workload, "v1", 60) == pytest.approx(1e6 * expected, rel=1e-12)
    assert agentcore_monthly(workload, "v1", 60) > agentcore_monthly(profile_workload(**README), "v1", 60)


def test_break_even_idle_tail():
    workload = profile_workload(**README)
    lam = lambda_monthly(workload, "x86_64")
    # Per session Lambda costs 85.2 µ$; V1 costs 4.97 µ$ CPU + 0.769 µ$ per billed second, so at most
    # 104 billed seconds: ceil(10.2 + idle) <= 104, idle <= 93.
    assert break_even_idle_s(workload, "v1", lam) == 93
    assert agentcore_monthly(workload, "v1", 93) <= lam < agentcore_monthly(workload, "v1", 94)
    cpu_bound = profile_workload(10_000_000, 50, 0, 128)
    assert break_even_idle_s(cpu_bound, "v1", lambda_monthly(cpu_bound, "x86_64")) is None


def test_wait_share_keeps_wall_time_and_moves_cpu():
    workload = with_wait_share(profile_workload(**README), 0.5)
    assert workload.sample[0].wall_ms == 10_200
    assert workload.sample[0].cpu_ms == 5_100
    assert lambda_monthly(workload, "x86_64") == lambda_monthly(profile_workload(**README), "x86_64")


@pytest.mark.parametrize(
    ("workload", "hits"),
    [
        pytest.param(profile_workload(**README), set(), id="readme-fits-everywhere"),
        pytest.param(
            profile_workload(10, 1_000, 1_199_000, 512, payload_mb=8),
            {
                "lambda.request_s",
                "lambda.payload_mb",
                "agentcore_microvm.request_s",
                "agentcore_instances.request_s",
            },
            id="20-minute-request-8-mb",
        ),
        pytest.param(
            profile_workload(10, 100, 100, 9_000, 9_000),
            {"agentcore_microvm.memory_mb"},
            id="9-gb",
        ),
        pytest.param(
            profile_workload(10, 1_000, 59_000, 12_000, 12_000, requests_per_session=600),
            {"lambda.memory_mb", "agentcore_microvm.memory_mb", "agentcore_microvm.session_s"},
            id="10-hour-session-12-gb",
        ),
    ],
)
def test_limits_hit(workload, hits):
    found = {
        f"{platform}.{name}"
        for platform, checks in limits(workload).items()
        for name, check in checks.items()
        if check["hit"]
    }
    assert found == hits
