"""Section 8: long jobs. The durable job (on_lambda/durable_job) with a 20-minute wait, run by the durable
SDK's runner with time skipped, against the same job with no wait; the runner's own cost per durable
operation; and step 4's async job on the local data plane: how long a job takes to be accepted (202) against a
synchronous request of the same step in the same warm session.

Every durable run writes to the embedded AWS over HTTP (one conditional PutItem), as the tests do. The
runner's cost per operation is timed with a durable handler of empty steps: (K steps - no step) / K.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution
from aws_durable_execution_sdk_python.config import StepConfig

from commands.worlds import STEP4_RUNTIME_ARN, run_durable_job, step4_runtime
from local_cloud.agentcore import AgentCoreLocal
from local_cloud.durable import run_execution
from shared.durable import NO_RETRY

from .context import Context
from .report import Section, Spread, Target, ratio_spread

TITLE = "8. Long jobs: the durable job with a 20-minute wait (time skipped); step 4's async job accepted"
JOB = {"prompt": {"a": 7, "b": 2}, "delay_seconds": 1200}
NO_WAIT = {"prompt": {"a": 7, "b": 2}, "delay_seconds": 0}
# A wait adds one invocation (the replay after it) to the job's two steps: at most 3x the job without it.
WAIT_GOAL = 3.0
# The 20-minute job, time skipped, ends in seconds.
WALL_GOAL_S = 5.0
# Accepting a job stores its record and starts a thread; a synchronous request stores its item.
ACCEPT_GOAL = 1.5
EMPTY_STEPS = 50
_EMPTY = StepConfig(retry_strategy=NO_RETRY)


def _nothing(step: StepContext) -> None:
    return None


@durable_execution
def _empty_steps(event: Any, context: DurableContext) -> int:
    """A durable handler of `steps` steps that do nothing: what the runner costs per operation."""
    for index in range(int(event["steps"])):
        context.step(_nothing, name=f"s{index}", config=_EMPTY)
    return int(event["steps"])


def _durable(ctx: Context, section: Section) -> None:
    waited: list[float] = []
    plain: list[float] = []
    modeled: list[float] = []
    operations = 0
    for _ in range(ctx.rounds):
        # Interleaved, so both see the machine in the same mood.
        job = run_durable_job(ctx.aws, ctx.resources, JOB, name=f"bench-{uuid.uuid4().hex[:12]}")
        bare = run_durable_job(ctx.aws, ctx.resources, NO_WAIT, name=f"bench-{uuid.uuid4().hex[:12]}")
        if job.status != "SUCCEEDED" or bare.status != "SUCCEEDED":
            raise RuntimeError(f"the durable job failed: {job.error or bare.error}")
        waited.append(job.wall_seconds)
        plain.append(bare.wall_seconds)
        modeled.append(job.modeled_seconds)
        operations = job.checkpointed_operations
    ratio = ratio_spread(waited, plain)
    section.rows.append(
        ["durable job, 20-minute wait", Spread.of(waited).fmt(3, " s"), f"{Spread.of(modeled).median:,.0f} s",
         f"{operations} (start, 2 steps, the wait)", ratio.fmt(2, "x")]
    )  # fmt: skip
    section.rows.append(["durable job, no wait (floor)", Spread.of(plain).fmt(3, " s"), "-", "3", "1"])
    wall = Spread.of(waited).median
    section.targets.append(
        Target(
            "durable job, 20-minute wait: wall time",
            f"{wall:.2f} s",
            f"< {WALL_GOAL_S:.0f} s",
            wall < WALL_GOAL_S,
        )
    )
    section.targets.append(
        Target("... against the same job without the wait", ratio.fmt(2, "x"), f"<= {WAIT_GOAL}x",
               ratio.median <= WAIT_GOAL)
    )  # fmt: skip


def _per_operation(ctx: Context, section: Section) -> None:
    per_op: list[float] = []
    for _ in range(ctx.rounds):
        many = run_execution(_empty_steps, {"steps": EMPTY_STEPS})
        none = run_execution(_empty_steps, {"steps": 0})
        per_op.append((many.wall_seconds - none.wall_seconds) / EMPTY_STEPS * 1000)
    spread = Spread.of(per_op)
    section.rows.append(
        [f"runner, {EMPTY_STEPS} empty steps - none, per step", spread.fmt(3, " ms"), "-", "1 each", "-"]
    )
    section.targets.append(Target("the local runner's cost per durable operation", spread.fmt(3, " ms"),
                                  "reported", None))  # fmt: skip


def _accept(ctx: Context, section: Section) -> None:
    accepted: list[float] = []
    answered: list[float] = []
    with AgentCoreLocal([step4_runtime(ctx.aws, ctx.resources)], stop_grace=2.0) as plane:
        for _ in range(ctx.rounds):
            session = f"bench-accept-{uuid.uuid4()}"
            # Not timed: the session's first call starts its process, and a first job warms the async path
            # (its 2 s wait keeps the session up: a session ends itself when its last job has ended).
            plane.invoke(STEP4_RUNTIME_ARN, {"prompt": {"a": 4, "b": 5}}, session)
            plane.invoke(STEP4_RUNTIME_ARN, {**NO_WAIT, "mode": "async", "delay_seconds": 2}, session)
            started = time.perf_counter()
            status, _, _ = plane.invoke(STEP4_RUNTIME_ARN, {"prompt": {"a": 4, "b": 5}}, session)
            answered.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            submitted, _, job = plane.invoke(STEP4_RUNTIME_ARN, {**NO_WAIT, "mode": "async"}, session)
            accepted.append((time.perf_counter() - started) * 1000)
            if (status, submitted) != (200, 202):
                raise RuntimeError(f"step 4 answered {status} and {submitted} {job}")
            plane.wait_ended(STEP4_RUNTIME_ARN, session, timeout=15)  # the job ends its own session
    ratio = ratio_spread(accepted, answered)
    section.rows.append(
        ["AgentCore async job accepted (202), warm session", Spread.of(accepted).fmt(2, " ms"), "-", "-",
         ratio.fmt(2, "x")]
    )  # fmt: skip
    floor = Spread.of(answered).fmt(2, " ms")
    section.rows.append(["step 4 synchronous request (200), same session (floor)", floor, "-", "-", "1"])
    section.targets.append(
        Target("AgentCore async job: time to accept / a synchronous request", ratio.fmt(2, "x"),
               f"<= {ACCEPT_GOAL}x", ratio.median <= ACCEPT_GOAL)
    )  # fmt: skip


def run(ctx: Context) -> Section:
    section = Section(TITLE, columns=["what", "wall time", "modeled time", "durable operations", "vs floor"])
    _durable(ctx, section)
    _per_operation(ctx, section)
    _accept(ctx, section)
    section.notes.append(
        f"{ctx.rounds} rounds. Durable runs: aws-durable-execution-sdk-python-testing's "
        "DurableFunctionTestRunner in this process (skip_time), the handler imported as Lambda imports "
        "it, its DynamoDB write to the embedded AWS over HTTP; wall time from the start to the result, the "
        "runner's threads included. The modeled time is the execution's own (its history's first to last "
        "event). The AgentCore rows are step 4 on the local data plane (a process per session, spawn mode): "
        'the 202 of `"mode": "async"` and the 200 of a synchronous request, timed by the caller in the same '
        "warm session after an untimed request and job, each writing one DynamoDB item."
    )
    return section
