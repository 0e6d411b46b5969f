"""Measured usage (what `make demo` runs) priced at the cost model's list prices, by hand."""

from __future__ import annotations

import pytest

from cost_model.measured import AgentCoreSession, DurableExecution, MicroVmUsage, price, render

V1_CPU, V1_GB = 0.0895 / 3600, 0.00945 / 3600
V2_CPU, V2_GB = 0.1276 / 3600, 0.0169 / 3600
VCPU_S, GB_S = 0.0000276944, 0.0000036667
X86 = 0.0000166667
SESSIONS = [AgentCoreSession(3.2, 0.4, 80), AgentCoreSession(1.1, 0.1, 200)]
MICROVMS = [MicroVmUsage(5.0, 30.0, 2, suspends=1, snapshot_reads=2)]
DURABLE = [
    DurableExecution(
        operations=4, invocations=2, billed_ms_per_invocation=120.4, memory_mb=512, bytes_written=2048
    )
]


def test_measured_usage_is_priced_by_hand():
    rows = {row.home: row for row in price(SESSIONS, MICROVMS, DURABLE)}
    # Sessions: 4 s at 128 MB (the minimum) and 2 s at 200 MB, each with its CPU.
    v1 = 0.4 * V1_CPU + 4 * 0.125 * V1_GB + 0.1 * V1_CPU + 2 * 200 / 1024 * V1_GB
    v2 = 0.4 * V2_CPU + 4 * 0.125 * V2_GB + 0.1 * V2_CPU + 2 * 200 / 1024 * V2_GB
    assert rows["AgentCore V1"].usd == pytest.approx(v1, rel=1e-12)
    assert rows["AgentCore V2"].usd == pytest.approx(v2, rel=1e-12)
    assert rows["AgentCore V1"].per_million == pytest.approx(v1 / 2 * 1e6, rel=1e-12)
    # A 2 GB / 1 vCPU MicroVM: 5 s running, 30 s suspended, a write, two reads.
    vm = 5 * (VCPU_S + 2 * GB_S) + 30 / 3600 * 2 * 0.0001111111 + 2 * 0.0038 + 2 * 2 * 0.00155
    assert rows["Lambda MicroVMs"].usd == pytest.approx(vm, rel=1e-12)
    # Durable: 2 invocations of 121 ms at 0.5 GB, 2 requests, 4 operations, 2,048 bytes kept 14 days.
    gb = 2048 / 1e9
    durable = 2 * 0.121 * 0.5 * X86 + 2 * 0.2e-6 + 4 * 8e-6 + gb * 0.25 + gb * 14 / 30 * 0.15
    assert rows["Lambda durable x86_64"].usd == pytest.approx(durable, rel=1e-12)


def test_the_measured_table_shows_each_home_in_one_number_format():
    text = render(SESSIONS, MICROVMS, DURABLE)
    assert "AgentCore V1, 2 sessions" in text and "Lambda MicroVMs, 1 MicroVM" in text
    assert "Lambda durable x86_64, 1 execution" in text
    assert "measured: 4 operations, 2 invocations, 2.05 KB written" in text
    assert "3 significant figures" in text
    assert max(len(line) for line in text.splitlines()) <= 110


def test_nothing_measured_says_so():
    text = render()
    assert "AgentCore V1, 0 sessions" in text and "measured:" not in text
