"""The durable job: step 4's async job (a + b, wait `delay_seconds`, write the DynamoDB item) as a Lambda
durable function (aws-durable-execution-sdk-python).

    {"prompt": {"a": 7, "b": 2}, "delay_seconds": 1200}
    -> validated outside any step    bad input: the execution FAILS at once with InvalidInput, nothing written
    -> step "compute"                the exact sum, checkpointed: a replay returns it without adding again
    -> wait "delay" (when > 0)       a durable wait: the function is not running, nothing is billed
    -> step "write"                  step 4's item, keyed by the execution: a replay or a retried attempt
                                     finds the item it wrote and never writes a second one
    <- {"result": 9, "dynamodb_stored": true, "item_id": "...", "timestamp": "...Z"}

Lambda runs the handler again from the top after the wait and after each step retry (checkpoint and
replay), so the code outside the steps is deterministic and cheap: validation, settings, the item id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration, StepConfig

from shared.aws import client
from shared.core.arithmetic import Number, exact_sum
from shared.core.errors import InvalidInput
from shared.core.jsonnum import plain_number
from shared.core.records import SumRecord
from shared.core.validation import checked_delay, parse_sum_request
from shared.durable import NO_RETRY, DurableSettings, transient_aws_retry, with_error_codes
from shared.durable.settings import DURABLE_EXECUTION_TIMEOUT_SECONDS
from shared.sinks import DynamoDbSettings, DynamoDbWriter

__all__ = ["MARGIN_SECONDS", "SOURCE", "WRITE_MAX_ATTEMPTS", "Job", "handler", "item_id_for", "parse_job"]

# The item's `source`: step 4's items say "agentcore".
SOURCE = "lambda-durable"
EXPECTED = '{"prompt": {"a": 7, "b": 2}, "delay_seconds": 1200}'
# What a job needs besides its wait, within the execution timeout: the sum, and the write with every retry
# (8 attempts; backoff 2, 4, ..., 60 s, at most 182 s in all; each attempt up to 3 botocore calls of at most
# 3 s to connect and 10 s to read, shared.aws.SINK_CONFIG), with room to spare.
MARGIN_SECONDS = 600
WRITE_MAX_ATTEMPTS = 8
# Fixed: an execution's item id must come out the same in every invocation, in every deployment.
ITEM_NAMESPACE = uuid.UUID("0d7c3a1e-5b7e-4c8f-9a51-6f0e2b8d4c17")

COMPUTE = StepConfig(retry_strategy=NO_RETRY)
# At least once per retry (the SDK's default semantics): an attempt cut short re-runs, which the
# conditional write makes safe, and no synchronous checkpoint is needed before it starts.
WRITE = StepConfig(retry_strategy=transient_aws_retry(max_attempts=WRITE_MAX_ATTEMPTS))


@dataclass(frozen=True)
class Job:
    """A validated job."""

    a: Number
    b: Number
    delay_seconds: int


def parse_job(payload: Any, settings: DurableSettings) -> Job:
    """Validate a job with the steps' own rules; InvalidInput names the field and what is expected.

    `delay_seconds` is bounded by the execution timeout, not by AgentCore's 8 h: the whole execution, wait
    included, must end within DurableConfig.ExecutionTimeout, less MARGIN_SECONDS for the steps.
    """
    operands = parse_sum_request(payload)
    mode = payload.get("mode", "async")
    if mode != "async":
        raise InvalidInput(
            'mode must be "async" (a durable job always runs in the background)', field="mode",
            expected=EXPECTED,
        )  # fmt: skip
    if "idempotency_key" in payload:
        # Never ignored silently: a caller sending one expects a retried start not to run the job twice.
        raise InvalidInput(
            "idempotency_key is not read by the durable job: start the execution with a durable execution "
            "name (aws lambda invoke --durable-execution-name <key>), Lambda's idempotency key",
            field="idempotency_key", expected=EXPECTED,
        )  # fmt: skip
    limit = max(0, settings.execution_timeout - MARGIN_SECONDS)
    why = (
        f" (the execution timeout, {settings.execution_timeout} s in {DURABLE_EXECUTION_TIMEOUT_SECONDS}, "
        f"less {MARGIN_SECONDS} s for the sum and the write)"
    )
    delay = checked_delay(payload, limit, EXPECTED, why)
    return Job(a=operands.a, b=operands.b, delay_seconds=delay or 0)


def item_id_for(execution_arn: str) -> str:
    """The item's id: one per execution, the same on every replay (a hash: a local runner's ARN is no ARN)."""
    return str(uuid.uuid5(ITEM_NAMESPACE, execution_arn))


def _add(a: Number, b: Number) -> Callable[[StepContext], Number]:
    @with_error_codes
    def compute(step: StepContext) -> Number:
        return exact_sum(a, b)  # InvalidInput when the sum cannot be stored exactly

    return compute


def _write(sink: DynamoDbSettings, item_id: str, job: Job, result: Number) -> Callable[[StepContext], Any]:
    @with_error_codes
    def write(step: StepContext) -> dict[str, str]:
        record = SumRecord(
            a=job.a, b=job.b, result=result, request_id=item_id, session_id=None, source=SOURCE
        )
        # One conditional put: an earlier attempt's item (its answer lost) comes back instead of a second.
        stored = DynamoDbWriter(client("dynamodb"), sink.table_name, sink.ttl_days).put(record)
        return {"id": str(stored["id"]), "timestamp": str(stored["timestamp"])}

    return write


@durable_execution
@with_error_codes
def handler(event: Any, context: DurableContext) -> dict[str, Any]:
    """Validate the job, add in a step, wait durably, write the item in a step; return the result."""
    job = parse_job(event, DurableSettings.from_env())
    sink = DynamoDbSettings.from_env()  # a missing DYNAMODB_TABLE_NAME fails here, before any step
    item_id = item_id_for(context.execution_context.durable_execution_arn)
    result = context.step(_add(job.a, job.b), name="compute", config=COMPUTE)
    if job.delay_seconds:  # the SDK refuses a wait under 1 s
        context.wait(Duration.from_seconds(job.delay_seconds), name="delay")
    item = context.step(_write(sink, item_id, job, result), name="write", config=WRITE)
    return {
        "result": plain_number(result),
        "dynamodb_stored": True,
        "item_id": item["id"],
        "timestamp": item["timestamp"],
    }
