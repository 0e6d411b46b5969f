"""local_cloud.durable: a durable handler run to its end by the SDK's runner, and what the run reports."""

from __future__ import annotations

import os
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration

from local_cloud.durable import run_execution

VARIABLE = "DURABLE_TEST_GREETING"


@durable_execution
def _greet(event: Any, context: DurableContext) -> dict[str, Any]:
    def read(step: StepContext) -> str:
        return os.environ[VARIABLE]

    greeting = context.step(read, name="read")
    context.wait(Duration.from_seconds(event["wait"]), name="pause")
    return {"greeting": greeting, "to": event["to"]}


def test_a_run_reports_its_result_operations_history_and_times() -> None:
    assert VARIABLE not in os.environ

    run = run_execution(_greet, {"to": "you", "wait": 3600}, name="hello", env={VARIABLE: "hi"})

    assert run.status == "SUCCEEDED" and run.result == {"greeting": "hi", "to": "you"} and run.error is None
    assert [(op.name, op.kind, op.status) for op in run.operations] == [
        ("read", "STEP", "SUCCEEDED"),
        ("pause", "WAIT", "SUCCEEDED"),
    ]
    assert (run.operation("pause").modeled_seconds or 0) >= 3600
    assert run.modeled_seconds >= 3600 and run.wall_seconds < 30  # an hour, skipped
    assert run.count("StepStarted", "read") == 1 and run.count("WaitStarted") == 1
    assert len(run.invocations) == run.count("InvocationCompleted") == 2
    assert run.checkpointed_operations == 3  # the start, the step, the wait
    assert run.data_bytes > len('{"to": "you", "wait": 3600}')
    assert VARIABLE not in os.environ  # the function's environment is put back


def test_a_failed_run_reports_the_error_as_the_service_would() -> None:
    run = run_execution(_greet, {"wait": 1}, env={VARIABLE: "hi"})

    assert run.status == "FAILED" and run.result is None
    assert run.error is not None and run.error["type"] == "KeyError" and run.error["stack_trace"] is None
