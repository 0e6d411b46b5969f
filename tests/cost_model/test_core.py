"""The AgentCore session price, hand-computed from the rates in cost_model/prices.json."""

from __future__ import annotations

import pytest

from cost_model import (
    agentcore_session_cost,
    durable_cost,
    load_prices,
    microvm_cost,
    tenant_environment_cost,
)


@pytest.mark.parametrize(
    ("seconds", "cpu", "memory_mb", "version", "expected"),
    [
        # 910 s at 512 MB (0.5 GB) plus 0.2 CPU-seconds on V1.
        (910, 0.2, 512, "v1", 0.2 * 0.0895 / 3600 + 910 * 0.5 * 0.00945 / 3600),
        # Below 128 MB is billed as 128 MB (0.125 GB); 0.3 s is billed as the 1 s minimum.
        (0.3, 0.0, 10, "v2", 1 * 0.125 * 0.0169 / 3600),
        # Part of a second is billed as a whole second.
        (10.2, 1.5, 1024, "v2", 1.5 * 0.1276 / 3600 + 11 * 1 * 0.0169 / 3600),
    ],
)
def test_session_cost_matches_hand_computed(seconds, cpu, memory_mb, version, expected):
    assert agentcore_session_cost(seconds, cpu, memory_mb, version) == pytest.approx(expected, rel=1e-12)


def test_price_table_names_its_sources():
    prices = load_prices()
    assert prices["read_on"] and prices["region"]
    assert prices["lambda"]["source"].startswith("https://aws.amazon.com/")
    assert prices["agentcore"]["source"].startswith("https://aws.amazon.com/")
    assert set(prices["agentcore"]["platform_versions"]) == {"v1", "v2"}


@pytest.mark.parametrize(
    ("running", "suspended", "memory_gb", "suspends", "reads", "expected"),
    [
        # An hour RUNNING at the 2 GB / 1 vCPU default, one launch read: baseline every second, idle or not.
        (3600, 0, None, 0, 1, 3600 * (1 * 0.0000276944 + 2 * 0.0000036667) + 2 * 0.00155),
        # Ten minutes running, an hour suspended at 4 GB / 2 vCPU: storage per GB-hour, one write, two reads.
        (
            600,
            3600,
            4,
            1,
            2,
            600 * (2 * 0.0000276944 + 4 * 0.0000036667) + 4 * 0.0001111111 + 4 * 0.0038 + 8 * 0.00155,
        ),
    ],
)
def test_microvm_cost_matches_hand_computed(running, suspended, memory_gb, suspends, reads, expected):
    got = microvm_cost(running, suspended, memory_gb, suspends=suspends, snapshot_reads=reads)
    assert got == pytest.approx(expected, rel=1e-12)


def test_a_suspended_hour_costs_far_less_than_a_running_one():
    assert microvm_cost(0, 3600, snapshot_reads=0) < microvm_cost(3600, 0, snapshot_reads=0) / 50


def test_durable_cost_counts_operations_data_written_and_retained():
    # A million jobs of 4 operations, 2 KB written each, kept 14 days.
    written = 1_000_000 * 2 / 1024 / 1024
    expected = 4 * 8.00 + written * 0.25 + written * 14 / 30 * 0.15
    assert durable_cost(4_000_000, written, written * 14 / 30) == pytest.approx(expected, rel=1e-12)


def test_tenant_environments_are_priced_per_gb_of_memory():
    # The Lambda pricing page's own example: 200,000 new environments at 1,024 MB cost $33.40.
    assert tenant_environment_cost(200_000, 1024) == pytest.approx(33.40, rel=1e-9)


def test_every_home_in_the_price_table_names_its_source_or_why_it_is_not_priced():
    for name, table in load_prices().items():
        if isinstance(table, dict):
            assert "source" in table, name
            assert table["source"].startswith("http") or "https://" in table["source"], name


@pytest.mark.parametrize(
    ("seconds", "startup_s", "startup_mb", "peak_mb", "expected_gb_s"),
    [
        # 12.2 s billed as 13: its first 2 s at 1,200 MB, the other 11 at 300 MB.
        (12.2, 2, 1200, 300, (2 * 1200 + 11 * 300) / 1024),
        # Start-up memory below 128 MB is billed as 128 MB, as any memory is.
        (3, 1, 64, 512, (1 * 128 + 2 * 512) / 1024),
        # A start-up longer than the billed session is cut to it.
        (0.5, 4, 1024, 256, 1 * 1024 / 1024),
    ],
)
def test_session_cost_bills_start_up_memory_for_its_seconds(
    seconds, startup_s, startup_mb, peak_mb, expected_gb_s
):
    got = agentcore_session_cost(
        seconds, 3.0, peak_mb, "v1", startup_seconds=startup_s, startup_memory_mb=startup_mb
    )
    assert got == pytest.approx(3.0 * 0.0895 / 3600 + expected_gb_s * 0.00945 / 3600, rel=1e-12)


def test_microvm_cost_bills_use_above_the_baseline_only_while_it_is_used():
    # The pricing page's first example, one developer-day: 2.5 h used, a quarter of it at 4 vCPU / 8 GB on the
    # 1 vCPU / 2 GB baseline (3 vCPU and 6 GB above it), 5.5 h suspended, 6 suspends and resumes, one launch.
    peak_s = 2.5 * 3600 * 0.25
    got = microvm_cost(
        2.5 * 3600,
        5.5 * 3600,
        2,
        suspends=6,
        snapshot_reads=7,
        burst_vcpu_seconds=3 * peak_s,
        burst_gb_seconds=6 * peak_s,
    )
    # The page per developer-day: compute $1,103.38 / 2,000; snapshots ($91.20 + $37.20 + $6.20) / 2,000;
    # suspended storage 2 GB x 5.5 h at $0.08 per GB-month of 720 h.
    expected = 1103.38 / 2000 + (91.20 + 37.20 + 6.20) / 2000 + 2 * 5.5 * 0.08 / 720
    assert got == pytest.approx(expected, rel=1e-4)
