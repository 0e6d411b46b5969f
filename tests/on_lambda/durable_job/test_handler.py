"""The durable job, run by the durable SDK's own runner (time skipped) against the embedded AWS's DynamoDB over
HTTP with real boto3: what it writes, how it replays, how it fails, and how it rides out a flaky write."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

from commands.worlds import Resources
from harness.faults import ANSWER_LOST, SendFault, aws_error, inject_aws_error
from local_cloud.aws import EmbeddedAws
from tests.on_lambda.durable_job.helpers import PAYLOAD, handler_client, items, job_module, run


def test_a_20_minute_wait_finishes_in_seconds_with_one_item(
    aws_env: EmbeddedAws, resources: Resources
) -> None:
    before = time.time()
    done = run(PAYLOAD)

    assert done.status == "SUCCEEDED", done.error
    answer = done.result
    assert answer == {
        "result": 9,
        "dynamodb_stored": True,
        "item_id": answer["item_id"],
        "timestamp": answer["timestamp"],
    }
    stored = items(aws_env, resources.table_name)
    assert len(stored) == 1
    item = stored[0]
    # Step 4's item shape, keyed by the execution; its source says who wrote it.
    assert item["id"] == answer["item_id"] == item["request_id"]
    assert (item["result"], item["input_a"], item["input_b"]) == (9, 7, 2)
    assert item["timestamp"] == answer["timestamp"] and item["operation"] == "sum"
    assert item["source"] == "lambda-durable" and "session_id" not in item
    ttl_days = (int(item["ttl"]) - before) / 86_400
    assert 29.9 < ttl_days < 30.1  # TTL_DAYS' default, as step 4
    # The wait is a durable operation of 1,200 s in the execution's time, and took seconds of ours.
    wait = done.operation("delay")
    assert (wait.kind, wait.status, wait.modeled_seconds) == ("WAIT", "SUCCEEDED", pytest.approx(1200, abs=1))
    assert done.modeled_seconds >= 1200
    assert done.wall_seconds < 15, done.wall_seconds
    # Two invocations: one up to the wait, one after it (the service re-invokes when the timer fires).
    assert len(done.invocations) == done.count("InvocationCompleted") == 2
    assert [op.name for op in done.operations] == ["compute", "delay", "write"]


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"prompt": {"a": 7, "b": 2}, "delay_seconds": 0}, id="delay-0"),
        pytest.param({"prompt": {"a": 7, "b": 2}}, id="no-delay"),
        pytest.param({"prompt": {"a": 7, "b": 2}, "mode": "async", "delay_seconds": 0}, id="step-4-payload"),
    ],
)
def test_no_delay_means_no_wait(aws_env: EmbeddedAws, resources: Resources, payload: dict[str, Any]) -> None:
    # The SDK refuses a wait under 1 s, so none is made: one invocation does the whole job.
    done = run(payload)

    assert done.status == "SUCCEEDED", done.error
    assert [op.kind for op in done.operations] == ["STEP", "STEP"]
    assert done.count("WaitStarted") == 0 and len(done.invocations) == 1
    assert [item["id"] for item in items(aws_env, resources.table_name)] == [done.result["item_id"]]


@pytest.mark.parametrize(
    ("a", "b", "answered", "stored"),
    [
        pytest.param(0.1, 0.2, 0.3, Decimal("0.3"), id="0.1+0.2"),
        pytest.param(10**30, 1, 10**30 + 1, Decimal(10**30 + 1), id="big-int"),
        # A sum with more digits than a double holds: the answer keeps them, as a string (the SDK writes the
        # result with json.dumps, which writes no decimal exactly), the item as a number.
        pytest.param(
            0.1, 1e-20, "0.10000000000000000001", Decimal("0.10000000000000000001"), id="beyond-a-double"
        ),
    ],
)
def test_the_sum_is_exact_in_the_item_and_in_the_answer(
    aws_env: EmbeddedAws, resources: Resources, a: Any, b: Any, answered: Any, stored: Decimal
) -> None:
    done = run({"prompt": {"a": a, "b": b}})

    assert done.status == "SUCCEEDED", done.error
    assert done.result["result"] == answered
    (item,) = items(aws_env, resources.table_name)
    assert item["result"] == stored


def test_the_sum_runs_once_however_often_the_handler_replays(
    aws_env: EmbeddedAws, resources: Resources
) -> None:
    # Six dropped connections: botocore's 3 attempts fail twice, so the write step is retried twice, each
    # retry a new invocation that replays the handler from the top.
    drops = SendFault(ConnectionClosedError(endpoint_url="http://dynamodb"), times=6)
    drops.install(handler_client(), "PutItem")

    done = run(PAYLOAD)

    assert done.status == "SUCCEEDED", done.error
    # Start, after the wait, after each of the two step retries.
    assert len(done.invocations) == 4
    assert done.count("StepStarted", "compute") == 1 and done.operation("compute").attempt == 1
    assert done.count("StepStarted", "write") == 3 and done.operation("write").attempt == 3
    assert len(items(aws_env, resources.table_name)) == 1


EXPECTED_SUM = '{"prompt": {"a": <number>, "b": <number>}}'


@pytest.mark.parametrize(
    ("payload", "field", "says"),
    [
        pytest.param({"prompt": {"a": "7", "b": 2}, "delay_seconds": 60}, "prompt.a", "must be a number", id="a-string"),
        pytest.param({"prompt": {"a": 7}, "delay_seconds": 60}, "prompt.b", "is missing", id="b-missing"),
        pytest.param({"prompt": {"a": 7, "b": True}}, "prompt.b", "must be a number, got a boolean", id="b-bool"),
        pytest.param({"delay_seconds": 60}, "prompt", "prompt is missing", id="no-prompt"),
        pytest.param([7, 2], "$", "must be a JSON object", id="an-array"),
        pytest.param({"prompt": {"a": 7, "b": 2}, "delay_seconds": -1}, "delay_seconds", "integer from 0 to", id="delay-negative"),
        pytest.param({"prompt": {"a": 7, "b": 2}, "delay_seconds": 1.5}, "delay_seconds", "integer from 0 to", id="delay-float"),
        pytest.param({"prompt": {"a": 7, "b": 2}, "delay_seconds": "60"}, "delay_seconds", "integer from 0 to", id="delay-string"),
        pytest.param(
            {"prompt": {"a": 7, "b": 2}, "delay_seconds": 86_400}, "delay_seconds", "the execution timeout",
            id="delay-past-the-execution-timeout",
        ),
        pytest.param({"prompt": {"a": 7, "b": 2}, "mode": "sync"}, "mode", 'mode must be "async"', id="mode-sync"),
        pytest.param(
            {"prompt": {"a": 7, "b": 2}, "idempotency_key": "order-17"}, "idempotency_key",
            "--durable-execution-name", id="idempotency-key",
        ),
    ],
)  # fmt: skip
def test_bad_input_fails_at_once_with_invalid_input_and_writes_nothing(
    aws_env: EmbeddedAws, resources: Resources, payload: Any, field: str, says: str
) -> None:
    done = run(payload)

    assert done.status == "FAILED"
    error = done.error
    assert error is not None
    assert error["type"] == "InvalidInput"  # the project's code, not a class path or StepError
    assert says in error["message"] and error["stack_trace"] is None
    assert '"field":"' + field + '"' in error["data"] and '"code":"InvalidInput"' in error["data"]
    # Validated outside any step, on the first invocation: no operation, no retry, nothing written.
    assert done.operations == () and len(done.invocations) == 1
    assert items(aws_env, resources.table_name) == []


def test_a_sum_that_cannot_be_stored_fails_in_the_compute_step_with_invalid_input(
    aws_env: EmbeddedAws, resources: Resources
) -> None:
    done = run({"prompt": {"a": 9e125, "b": 9e125}, "delay_seconds": 60})

    assert done.status == "FAILED" and done.error is not None
    assert done.error["type"] == "InvalidInput" and "cannot be stored exactly" in done.error["message"]
    assert '"field":"prompt"' in done.error["data"]
    compute = done.operation("compute")
    assert (compute.status, compute.attempt) == ("FAILED", 1)  # no retry for the input's fault
    assert done.count("WaitStarted") == 0 and done.count("StepStarted", "write") == 0
    assert items(aws_env, resources.table_name) == []


@pytest.mark.parametrize(
    ("timeout", "delay", "ok"),
    [(1_800, 1_200, True), (1_800, 1_201, False), (700, 100, True), (700, 101, False), (600, 0, True)],
)
def test_delay_seconds_is_bounded_by_the_execution_timeout(
    aws_env: EmbeddedAws,
    resources: Resources,
    monkeypatch: pytest.MonkeyPatch,
    timeout: int,
    delay: int,
    ok: bool,
) -> None:
    # The template passes DurableConfig.ExecutionTimeout in; the job leaves MARGIN_SECONDS of it for its steps.
    assert job_module().MARGIN_SECONDS == 600
    monkeypatch.setenv("DURABLE_EXECUTION_TIMEOUT_SECONDS", str(timeout))

    done = run({"prompt": {"a": 7, "b": 2}, "delay_seconds": delay})

    if ok:
        assert done.status == "SUCCEEDED", done.error
    else:
        assert done.status == "FAILED" and done.error is not None
        assert done.error["type"] == "InvalidInput"
        assert f"from 0 to {timeout - 600} (the execution timeout, {timeout} s" in done.error["message"]
        assert "DURABLE_EXECUTION_TIMEOUT_SECONDS" in done.error["message"]


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("DYNAMODB_TABLE_NAME", None, "DYNAMODB_TABLE_NAME is not set"),
        ("TTL_DAYS", "0", "TTL_DAYS must be an integer from 1"),
        (
            "DURABLE_EXECUTION_TIMEOUT_SECONDS",
            "31622401",
            "DURABLE_EXECUTION_TIMEOUT_SECONDS must be an integer",
        ),
    ],
)
def test_a_bad_setting_fails_at_once_naming_the_variable(
    aws_env: EmbeddedAws,
    resources: Resources,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str | None,
    says: str,
) -> None:
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)

    done = run(PAYLOAD)

    assert done.status == "FAILED" and done.error is not None
    assert done.error["type"] == "ConfigurationError" and says in done.error["message"]
    assert done.operations == ()
    assert items(aws_env, resources.table_name) == []


def _drop() -> ConnectionClosedError:
    return ConnectionClosedError(endpoint_url="http://dynamodb")


# (outcome, times) installed in order on PutItem; the write step's attempts; the HTTP attempts in all.
OUTAGES = {
    # botocore makes 3 attempts per step attempt, so 5 failures need a second step attempt.
    "connection-closed-x5": ([(_drop(), 5)], 2, 6),
    "read-timeout-x3": ([(ReadTimeoutError(endpoint_url="http://dynamodb"), 3)], 2, 4),
    "http-500-x7": ([("500", 7)], 3, 8),
    "throttled-x4": ([("throttle", 4)], 2, 5),
    # The first write lands and its answer is lost; the next attempts are dropped until the step retries:
    # the retried step's write finds the item the first attempt wrote, and no second item is written.
    "landed-answer-lost-then-x4": ([(ANSWER_LOST, 1), (_drop(), 4)], 2, 6),
    # The first write lands, its answer is lost, botocore's own retry meets the condition: same outcome.
    "landed-answer-lost-once": ([(ANSWER_LOST, 1)], 1, 2),
}


@pytest.mark.parametrize("outage", list(OUTAGES))
def test_a_transient_write_outage_ends_with_one_item_and_a_succeeded_execution(
    aws_env: EmbeddedAws, resources: Resources, outage: str
) -> None:
    script, step_attempts, http_attempts = OUTAGES[outage]
    writer = handler_client()
    faults = []
    for outcome, times in script:
        if outcome == "500":
            outcome = aws_error(writer, 500, "InternalServerError")
        elif outcome == "throttle":
            outcome = aws_error(writer, 400, "ProvisionedThroughputExceededException")
        faults.append(SendFault(outcome, times=times).install(writer, "PutItem"))

    done = run(PAYLOAD)

    assert done.status == "SUCCEEDED", done.error
    (item,) = items(aws_env, resources.table_name)
    assert item["id"] == done.result["item_id"] and item["result"] == 9
    # The answer is the stored item's: when the first attempt's write landed, its timestamp.
    assert item["timestamp"] == done.result["timestamp"]
    assert done.operation("write").attempt == step_attempts
    assert faults[0].attempts == http_attempts


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("AccessDeniedException", 400),
        ("ValidationException", 400),
        ("ItemCollectionSizeLimitExceededException", 400),
    ],
)
def test_a_permanent_write_error_fails_at_once_with_the_code_and_message(
    aws_env: EmbeddedAws, resources: Resources, code: str, status: int
) -> None:
    fault = inject_aws_error(handler_client(), "PutItem", status, code)

    done = run(PAYLOAD)

    assert done.status == "FAILED" and done.error is not None
    table = resources.table_name
    assert done.error["type"] == "SinkWriteFailed"
    assert done.error["message"] == f"the write to DynamoDB table {table} failed ({code})"
    assert f'"aws_error_code":"{code}"' in done.error["data"] and done.error["stack_trace"] is None
    # Neither botocore nor the step retried: one HTTP attempt, one step attempt.
    assert fault.attempts == 1
    assert (done.operation("write").status, done.operation("write").attempt) == ("FAILED", 1)
    assert items(aws_env, table) == []


def test_a_missing_table_fails_with_sink_write_failed(
    aws_env: EmbeddedAws, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DYNAMODB_TABLE_NAME", "no-such-table")

    done = run(PAYLOAD)

    assert done.status == "FAILED" and done.error is not None
    assert (done.error["type"], done.error["message"]) == (
        "SinkWriteFailed",
        "the write to DynamoDB table no-such-table failed (ResourceNotFoundException)",
    )
    assert done.operation("write").attempt == 1
    assert items(aws_env, resources.table_name) == []


def test_throttling_past_the_step_budget_fails_with_sink_throttled(
    aws_env: EmbeddedAws, resources: Resources
) -> None:
    writer = handler_client()
    fault = SendFault(aws_error(writer, 400, "ThrottlingException")).install(writer, "PutItem")

    done = run(PAYLOAD)

    attempts = job_module().WRITE_MAX_ATTEMPTS
    assert done.status == "FAILED" and done.error is not None
    assert done.error["type"] == "SinkThrottled"
    assert (
        done.error["message"]
        == f"the write to DynamoDB table {resources.table_name} was throttled (ThrottlingException)"
    )
    assert done.operation("write").attempt == attempts
    assert fault.attempts == 3 * attempts  # botocore's 3 attempts in each step attempt
    assert items(aws_env, resources.table_name) == []


def test_the_local_runner_does_not_deduplicate_execution_names(
    aws_env: EmbeddedAws, resources: Resources
) -> None:
    # On the service, a start with the name and payload of a running execution returns that execution: one
    # item. The local runner starts a second execution, whose item is its own (the id hashes the execution's
    # ARN): the table shows that nothing here deduplicates names.
    first = run(PAYLOAD, name="order-17")
    second = run(PAYLOAD, name="order-17")

    assert first.status == second.status == "SUCCEEDED"
    assert first.arn != second.arn and first.result["item_id"] != second.result["item_id"]
    assert len(items(aws_env, resources.table_name)) == 2
