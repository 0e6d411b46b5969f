"""Lambda durable functions: a request as one durable execution (a job), priced the way the Lambda pricing
page's own example counts it: 1 start + each step + each wait as durable operations, 1 invocation + 1 per
wait (the resume) as Lambda requests whose duration is the computing only, the data the operations write,
and that data retained while the execution runs and for the retention period after it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .prices import MB_PER_GB, durable_cost, load_prices
from .workload import LAMBDA_MIN_MEMORY_MB, Request, Workload, billed_ms

__all__ = ["DURABLE_PATTERNS", "DurableJob", "Job", "durable_monthly", "job_of"]

# How the request's wait is spent: in a durable wait or callback (suspended, no duration billed), or inside a
# step (a synchronous call: billed as Lambda duration, as a plain function would be).
DURABLE_PATTERNS = ("wait_suspended", "wait_in_step")
DAY_MS = 86_400_000


@dataclass(frozen=True)
class DurableJob:
    """The shape of one job: its steps and waits (None: 2 steps around 1 wait, or 1 step with no wait)."""

    steps: int | None = None
    waits: int | None = None
    payload_kb: float = 1.0  # the invocation's input, written when the execution starts
    checkpoint_kb: float = 1.0  # written by each step and each wait
    retention_days: float | None = None  # after the execution ends (None: the price table's default, 14)


@dataclass(frozen=True)
class Job:
    """What one request costs as a durable execution, counted."""

    steps: int
    waits: int
    operations: int
    invocations: int
    billed_ms: int  # all invocations together
    kb_written: float
    execution_days: float


def job_of(request: Request, shape: DurableJob, pattern: str) -> Job:
    """Count one request as a durable execution of `shape`, its wait spent as `pattern` says."""
    waiting = request.wait_ms > 0
    steps = shape.steps if shape.steps is not None else (2 if waiting else 1)
    if pattern == "wait_suspended":
        waits = shape.waits if shape.waits is not None else (1 if waiting else 0)
        invocations = 1 + waits
        # The CPU time shared among the invocations, each billed in whole steps; INIT (a cold start's
        # billed time beyond Duration in a REPORT line) stays with the first.
        init = max(0, request.billed_ms - billed_ms(request.wall_ms))
        billed = init + invocations * billed_ms(request.cpu_ms / invocations)
    else:
        waits, invocations, billed = 0, 1, request.billed_ms
    return Job(
        steps=steps,
        waits=waits,
        operations=1 + steps + waits,
        invocations=invocations,
        billed_ms=billed,
        kb_written=shape.payload_kb + (steps + waits) * shape.checkpoint_kb,
        execution_days=request.wall_ms / DAY_MS,
    )


def durable_monthly(
    workload: Workload,
    shape: DurableJob,
    pattern: str,
    architecture: str,
    free_tier: bool = False,
    prices: dict[str, Any] | None = None,
) -> tuple[float, dict[str, float]]:
    """Return the USD a month of the workload as durable executions, and what it counted (a month)."""
    table = prices or load_prices()
    lam, durable = table["lambda"], table["lambda_durable"]
    retention = (
        shape.retention_days if shape.retention_days is not None else durable["default_retention_days"]
    )
    jobs = [job_of(r, shape, pattern) for r in workload.sample]
    scale = workload.scale
    operations = sum(j.operations for j in jobs) * scale
    invocations = sum(j.invocations for j in jobs) * scale
    gb_seconds = scale * sum(
        j.billed_ms / 1000 * max(r.lambda_memory_mb, LAMBDA_MIN_MEMORY_MB) / MB_PER_GB
        for j, r in zip(jobs, workload.sample, strict=True)
    )
    gb_written = sum(j.kb_written for j in jobs) * scale / durable["kb_per_gb"]
    gb_months = scale * sum(
        j.kb_written / durable["kb_per_gb"] * (j.execution_days + retention) / durable["days_per_month"]
        for j in jobs
    )
    billable_gb_s, billable_requests = gb_seconds, invocations
    if free_tier:
        billable_gb_s = max(0.0, gb_seconds - lam["free_tier"]["gb_seconds"])
        billable_requests = max(0.0, invocations - lam["free_tier"]["requests"])
    compute = billable_gb_s * lam["gb_second"][architecture]
    requests = billable_requests * lam["per_million_requests"] / 1_000_000
    total = compute + requests + durable_cost(operations, gb_written, gb_months, table)
    counted = {
        "steps_per_job": sum(j.steps for j in jobs) / len(jobs),
        "waits_per_job": sum(j.waits for j in jobs) / len(jobs),
        "operations_per_job": sum(j.operations for j in jobs) / len(jobs),
        "invocations_per_job": sum(j.invocations for j in jobs) / len(jobs),
        "kb_written_per_job": sum(j.kb_written for j in jobs) / len(jobs),
        "retention_days": float(retention),
        "operations_a_month": operations,
        "invocations_a_month": invocations,
        "gb_seconds_a_month": gb_seconds,
        "gb_written_a_month": gb_written,
        "gb_months_retained": gb_months,
        "most_operations_in_a_job": float(max(j.operations for j in jobs)),
        "longest_execution_days": max(j.execution_days for j in jobs),
        "longest_invocation_s": max(
            (r.wall_ms if pattern == "wait_in_step" else math.ceil(r.cpu_ms / j.invocations)) / 1000
            for j, r in zip(jobs, workload.sample, strict=True)
        ),
    }
    return float(total), counted
