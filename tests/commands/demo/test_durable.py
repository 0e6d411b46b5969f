"""`make demo`'s long-jobs part: the durable job next to step 4's async job, and the durable job's price."""

from __future__ import annotations

import pytest

from commands.demo.durable import FUNCTION_MEMORY_MB, durable_job_cost, run_durable_demo
from commands.worlds import Resources
from cost_model import load_prices
from local_cloud.aws import EmbeddedAws
from local_cloud.durable import DurableRun


@pytest.mark.slow
def test_the_durable_job_and_the_agentcore_job_write_the_same_sum(
    aws_env: EmbeddedAws, resources: Resources
) -> None:
    rows = run_durable_demo(aws_env, resources)

    assert [row.step for row in rows] == ["durable job (Lambda)", "step 4 async job (AgentCore)"]
    assert all(row.ok for row in rows), rows
    durable, agentcore = rows
    assert "'source': 'lambda-durable'" in durable.landed and "'source': 'agentcore'" in agentcore.landed
    assert "for 1,20" in durable.landed and "(time skipped)" in durable.landed
    assert "memory billed through the wait" in agentcore.landed and "x the durable job" in agentcore.landed


def test_the_durable_price_is_operations_data_requests_and_duration() -> None:
    # Hand-checked: 4 operations, 2 invocations of 100 ms and 300 ms, 1 KiB of data, a million jobs.
    run = DurableRun(
        arn="a", name="n", status="SUCCEEDED", result=None, error=None, operations=(),
        events=(("ExecutionStarted", None), ("StepStarted", "compute"), ("WaitStarted", "delay"),
                ("StepStarted", "write")),
        invocations=(0.1, 0.3), data_bytes=1024,
    )  # fmt: skip
    prices = load_prices()
    durable, lam = prices["lambda_durable"], prices["lambda"]

    cost = durable_job_cost(run, jobs=1_000_000)

    assert cost.operations == pytest.approx(4 * durable["per_million_operations"])
    gb = 1024 / 1024**3 * 1_000_000
    assert cost.data == pytest.approx(
        gb * durable["per_gb_written"] + gb * 14 / 30 * durable["per_gb_month_retained"]
    )
    # 2 million requests; each invocation billed its mean, 200 ms, at 256 MB on arm64.
    duration = 2_000_000 * 0.2 * FUNCTION_MEMORY_MB / 1024 * lam["gb_second"]["arm64"]
    assert cost.requests_and_duration == pytest.approx(2 * lam["per_million_requests"] + duration)
    assert cost.total == pytest.approx(cost.operations + cost.data + cost.requests_and_duration)
