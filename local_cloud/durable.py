"""Lambda durable functions, locally: a durable handler run to its end by the durable SDK's own testing runner
(aws-durable-execution-sdk-python-testing's `DurableFunctionTestRunner`), in this process, with what the run
tells: its status, result or error, its operations, its history, its invocations, its time.

The runner plays the service's part: it keeps the checkpoints in memory, invokes the handler again after
each wait and each step retry (replay), and skips time: a 20-minute wait ends at once while the history
keeps its modeled 1,200 s. Where it differs from the service:

- It does not deduplicate execution names: two starts with one name are two executions. The service treats
  the name as the idempotency key (the same name and payload while it runs returns the running execution;
  another payload is DurableExecutionAlreadyStartedException: Lambda Developer Guide,
  durable-execution-idempotency, read 2026-12-02). Nothing here emulates that; callers that need it say so.
- Its execution ARNs are "<uuid>/<invocation id>", not ARNs; code keyed by the ARN must hash it.
- Only the runner's clock is skipped: the handler reads the real clock (a record's timestamp is the real
  time it was written, not 20 modeled minutes later), and botocore's retry backoff sleeps in real time.
- The execution timeout given here is counted in real time, not modeled time: a modeled wait longer than it
  still succeeds. The deployed function's DurableConfig.ExecutionTimeout is what bounds a job there.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner

__all__ = ["DurableOperation", "DurableRun", "run_execution"]

Handler = Callable[[Any, Any], Any]
# The runner's default function and account: its ARNs name neither, but its history does.
FUNCTION_NAME = "durable-function"


@dataclass(frozen=True)
class DurableOperation:
    """One operation of an execution (a step or a wait), as its history has it."""

    name: str | None
    kind: str  # STEP, WAIT, ...
    status: str
    attempt: int | None  # a step's attempts (1 when its first attempt succeeded)
    started: datetime | None
    ended: datetime | None

    @property
    def modeled_seconds(self) -> float | None:
        """How long it took in the execution's (skipped) time: a 1,200 s wait says 1,200."""
        if self.started is None or self.ended is None:
            return None
        return (self.ended - self.started).total_seconds()


@dataclass(frozen=True)
class DurableRun:
    """An execution run to its end locally."""

    arn: str
    name: str
    status: str  # SUCCEEDED, FAILED, TIMED_OUT, STOPPED
    result: Any  # the handler's result, decoded (None unless SUCCEEDED)
    error: dict[str, Any] | None  # {"type", "message", "data", "stack_trace"} of a failed execution
    operations: tuple[DurableOperation, ...]
    events: tuple[tuple[str, str | None], ...]  # the history: (event type, operation name), in order
    invocations: tuple[float, ...] = field(default=())  # wall seconds of each handler invocation
    wall_seconds: float = 0.0
    modeled_seconds: float = 0.0  # from ExecutionStarted to the last event, in the execution's time
    # Bytes of the payload, the step results and the result, which the service keeps for the execution.
    data_bytes: int = 0

    def operation(self, name: str) -> DurableOperation:
        """The operation with this name (KeyError when the execution has none)."""
        for operation in self.operations:
            if operation.name == name:
                return operation
        raise KeyError(f"no operation named {name!r} in {[op.name for op in self.operations]}")

    def count(self, event_type: str, name: str | None = None) -> int:
        """How many events of this type the history has (of the named operation, when given)."""
        return sum(1 for kind, op in self.events if kind == event_type and (name is None or op == name))

    @property
    def checkpointed_operations(self) -> int:
        """Operations the execution checkpointed: its start, each step attempt (retries too) and each wait.

        A proxy for what the service bills as durable operations: which of them it counts is not stated
        on the pages read (2026-12-02); this counts every one that wrote a checkpoint.
        """
        starts = self.count("ExecutionStarted")
        return starts + self.count("StepStarted") + self.count("WaitStarted")


def _view(operation: Any) -> DurableOperation:
    return DurableOperation(
        name=operation.name,
        kind=operation.operation_type.value,
        status=operation.status.value,
        attempt=getattr(operation, "attempt", None),
        started=operation.start_timestamp,
        ended=operation.end_timestamp,
    )


@contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    """The function's environment variables, set in this process while it runs (a Lambda's are its own)."""
    before = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_execution(
    handler: Handler,
    payload: Any,
    name: str = "execution-name",
    timeout: int = 60,
    env: Mapping[str, str] | None = None,
) -> DurableRun:
    """Start one execution of the durable handler with this payload and run it to its end (time skipped).

    `timeout` is in real seconds (see the module's doc); `env`, the function's variables, is set in this
    process for the run; the handler's invocations are timed as they run.
    """
    invocations: list[float] = []
    lock = threading.Lock()

    def timed(event: Any, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return handler(event, context)
        finally:
            with lock:
                invocations.append(time.perf_counter() - started)

    started = time.perf_counter()
    with _environment(env or {}), DurableFunctionTestRunner(handler=timed) as runner:
        arn = runner.run_async(
            input=json.dumps(payload), execution_timeout=timeout, function_name=FUNCTION_NAME,
            execution_name=name,
        )  # fmt: skip
        result = runner.wait_for_result(arn, timeout=timeout)
        wall = time.perf_counter() - started
        history = runner.get_execution_history(arn).events
    error = None
    if result.error is not None:
        found = result.error
        error = {
            "type": found.type,
            "message": found.message,
            "data": found.data,
            "stack_trace": found.stack_trace,
        }
    stamps = [event.event_timestamp for event in history if event.event_timestamp is not None]
    operations = result.get_all_operations()
    data = [json.dumps(payload), result.result or ""] + [
        getattr(op, "result", None) or "" for op in operations
    ]
    return DurableRun(
        arn=arn,
        name=name,
        status=result.status.value,
        result=json.loads(result.result) if result.result else None,
        error=error,
        operations=tuple(_view(op) for op in sorted(operations, key=_start)),
        events=tuple((event.event_type, event.name) for event in history),
        invocations=tuple(invocations),
        wall_seconds=wall,
        modeled_seconds=(max(stamps) - min(stamps)).total_seconds() if stamps else 0.0,
        data_bytes=sum(len(text.encode()) for text in data),
    )


def _start(operation: Any) -> float:
    stamp = operation.start_timestamp
    return stamp.timestamp() if stamp is not None else float("inf")
