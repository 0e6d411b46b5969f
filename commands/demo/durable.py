"""Long jobs two ways in `make demo`: step 4's 20-minute async job as a Lambda durable function
(on_lambda/durable_job, run by the durable SDK's runner with time skipped) next to the same job on AgentCore
(step 4 behind the local data plane), on the same payload: what each wrote, how long it took, and what a
million such jobs a month would cost on each.

The AgentCore job cannot skip time: a process waits for real. It runs with the delay scaled down
(AGENTCORE_DELAY_SECONDS), and its cost is priced for the full 1,200 s: the session's memory is billed through
the wait, so the session's measured seconds, less the scaled delay, plus 1,200 s.
"""

from __future__ import annotations

import json
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from cost_model import agentcore_session_cost, durable_cost, load_prices, profile_workload
from cost_model.measured import DurableExecution
from cost_model.model import lambda_monthly
from local_cloud.agentcore import AgentCoreLocal
from local_cloud.aws import EmbeddedAws, dynamodb_item
from local_cloud.durable import DurableRun

from ..worlds import STEP4_RUNTIME_ARN, Resources, run_durable_job, step4_runtime
from .rows import Row, Usage

__all__ = ["DURABLE_PAYLOAD", "JOBS_A_MONTH", "durable_job_cost", "run_durable_demo"]

DURABLE_PAYLOAD: dict[str, Any] = {"prompt": {"a": 7, "b": 2}, "mode": "async", "delay_seconds": 1200}
# The AgentCore job waits for real: 2 s stands for 1,200 s (and is priced as 1,200 s).
AGENTCORE_DELAY_SECONDS = 2
JOBS_A_MONTH = 1_000_000
# The function's memory (on_lambda/durable_job/template.yaml, MemorySize); it bills the invocations' duration.
FUNCTION_MEMORY_MB = 256
RETENTION_DAYS = 14  # the template's RetentionPeriodInDays default
POLL_SECONDS = 30.0


@dataclass(frozen=True)
class DurableCost:
    """A month of durable jobs like one run: its parts in USD."""

    operations: float
    data: float
    requests_and_duration: float

    @property
    def total(self) -> float:
        """The month's list price."""
        return self.operations + self.data + self.requests_and_duration


def durable_job_cost(run: DurableRun, jobs: int = JOBS_A_MONTH) -> DurableCost:
    """Price `jobs` executions like this one: its checkpointed operations and data, and its invocations as
    ordinary arm64 Lambda requests and duration at the template's memory (each as long as it took here)."""
    gb = run.data_bytes / 1024**3
    durable = durable_cost(run.checkpointed_operations * jobs, 0, 0)
    data = durable_cost(0, gb * jobs, gb * jobs * RETENTION_DAYS / 30)
    per_invocation_ms = sum(run.invocations) * 1000 / max(1, len(run.invocations))
    invocations = profile_workload(
        requests=len(run.invocations) * jobs,
        cpu_ms=per_invocation_ms,
        wait_ms=0,
        memory_mb=FUNCTION_MEMORY_MB,
    )
    return DurableCost(durable, data, lambda_monthly(invocations, "arm64"))


def _durable_row(aws: EmbeddedAws, resources: Resources, usage: Usage | None) -> tuple[Row, DurableCost]:
    run = run_durable_job(aws, resources, DURABLE_PAYLOAD, name=f"demo-{uuid.uuid4().hex[:12]}")
    if usage is not None:
        billed_ms = sum(run.invocations) * 1000 / max(1, len(run.invocations))
        usage.durable.append(
            DurableExecution(
                run.checkpointed_operations,
                len(run.invocations),
                billed_ms,
                FUNCTION_MEMORY_MB,
                run.data_bytes,
            )
        )
    answer = run.result if isinstance(run.result, dict) else {}
    item = dynamodb_item(aws, resources.table_name, answer["item_id"]) if answer.get("item_id") else {}
    cost = durable_job_cost(run)
    wait = next((op for op in run.operations if op.kind == "WAIT"), None)
    ok = (
        run.status == "SUCCEEDED"
        and answer.get("result") == 9
        and item.get("result") == "9"
        and item.get("source") == "lambda-durable"
        and wait is not None
        and round(wait.modeled_seconds or 0) == DURABLE_PAYLOAD["delay_seconds"]
    )
    landed = (
        f"DynamoDB: {item}; {run.wall_seconds:.2f} s of wall time for {run.modeled_seconds:,.0f} s of the "
        f"execution's (time skipped), {len(run.invocations)} invocations, {run.checkpointed_operations} "
        f"operations; {JOBS_A_MONTH:,} jobs a month: ${cost.total:,.2f} (operations ${cost.operations:,.2f}, "
        f"data ${cost.data:,.2f}, requests and duration ${cost.requests_and_duration:,.2f}; "
        "the wait bills nothing)"
    )
    response = f"{run.status} {json.dumps(run.result if run.status == 'SUCCEEDED' else run.error)}"
    return Row("durable job (Lambda)", json.dumps(DURABLE_PAYLOAD), response, landed, ok), cost


def _agentcore_row(aws: EmbeddedAws, resources: Resources, plane: AgentCoreLocal, durable: float) -> Row:
    payload = {**DURABLE_PAYLOAD, "delay_seconds": AGENTCORE_DELAY_SECONDS}
    session = f"demo-durable-vs-agentcore-{uuid.uuid4()}"
    started = time.perf_counter()
    status, _, job = plane.invoke(STEP4_RUNTIME_ARN, payload, session)
    accepted_ms = (time.perf_counter() - started) * 1000
    record: dict[str, Any] = {}
    deadline = time.monotonic() + POLL_SECONDS
    # Polled in DynamoDB (as step 5's GET /jobs/{id} does): a poll through the runtime would be billed too.
    while status == 202 and time.monotonic() < deadline:
        record = dynamodb_item(aws, resources.table_name, f"job#{job['job_id']}")
        if record.get("status") in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.1)
    finished_s = time.perf_counter() - started
    try:
        usage = plane.wait_ended(STEP4_RUNTIME_ARN, session, timeout=15)["usage"]
    except TimeoutError:
        usage = {}
    item = (
        dynamodb_item(aws, resources.table_name, record["result_item_id"])
        if record.get("result_item_id")
        else {}
    )
    # Priced for the real 1,200 s: the session lives, and its memory is billed, through the whole wait.
    seconds = usage.get("session_seconds", 0.0) - AGENTCORE_DELAY_SECONDS + DURABLE_PAYLOAD["delay_seconds"]
    cpu, peak = usage.get("cpu_seconds", 0.0), usage.get("peak_rss_mb", 0.0)
    v1, v2 = (agentcore_session_cost(seconds, cpu, peak, version) * JOBS_A_MONTH for version in ("v1", "v2"))
    ok = status == 202 and record.get("status") == "SUCCEEDED" and item.get("result") == "9" and bool(usage)
    session_use = f"its session {usage.get('session_seconds')} s, {cpu} CPU-s, {peak} MB peak"
    month = f"{JOBS_A_MONTH:,} jobs a month: V1 ${v1:,.2f}, V2 ${v2:,.2f} (memory billed through the wait)"
    landed = (
        f"DynamoDB: {item}; accepted in {accepted_ms:.0f} ms (a new session: its start included), SUCCEEDED "
        f"{finished_s:.1f} s later with the wait scaled to {AGENTCORE_DELAY_SECONDS} s; {session_use}, so "
        f"{seconds:,.0f} s for the real job; {month}: {v1 / durable:,.0f}x the durable job (V1)"
    )
    response = f"{status} {job.get('status')} job {job.get('job_id')}"
    return Row("step 4 async job (AgentCore)", json.dumps(payload), response, landed, ok)


def run_durable_demo(
    aws: EmbeddedAws, resources: Resources, plane: AgentCoreLocal | None = None, usage: Usage | None = None
) -> list[Row]:
    """The durable job and step 4's async job on the same payload, side by side (own data plane if none)."""
    with ExitStack() as stack:
        if plane is None:
            plane = stack.enter_context(AgentCoreLocal())
        plane.add_runtime(step4_runtime(aws, resources))
        print(
            f"  durable job: on_lambda/durable_job/handler.py with the durable SDK's runner; prices {_read()}"
        )
        durable, cost = _durable_row(aws, resources, usage)
        return [durable, _agentcore_row(aws, resources, plane, max(cost.total, 1e-9))]


def _read() -> str:
    prices = load_prices()
    return f"read {prices['read_on']} ({prices['lambda_durable']['source'].split(' ')[0]})"
