"""Load: LOAD_COUNT invocations at 16 concurrent per sink step -> exactly that many distinct records."""

from __future__ import annotations

import contextlib
import json
import time
from decimal import Decimal

import pytest

from commands.steps import SINK_STEPS
from harness.step_server import StepServer
from tests.steps.helpers import (
    LOAD_CONCURRENCY,
    LOAD_COUNT,
    SqsCollector,
    record_operand_a,
    records_by_request_id,
    response_request_id,
    run_collect,
    step_env,
    sum_requests,
)

pytestmark = [pytest.mark.reliability, pytest.mark.slow]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("step", SINK_STEPS)
def test_load_writes_every_record_exactly_once(module_aws, step):
    env = step_env(module_aws, step)
    collector = SqsCollector(module_aws, env["SQS_QUEUE_URL"]) if step == "2_sqs_sink" else None
    with StepServer(step, env) as server, collector or contextlib.nullcontext():
        t0 = time.perf_counter()
        results = run_collect(server.port, sum_requests(LOAD_COUNT), LOAD_CONCURRENCY)
        elapsed = time.perf_counter() - t0
        records = records_by_request_id(module_aws, step, env, collector)
    statuses = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    assert statuses == {200: LOAD_COUNT}, statuses
    bodies = [json.loads(body) for _, body in results]
    answered = [response_request_id(step, b) for b in bodies]
    assert len(set(answered)) == LOAD_COUNT
    # Every response reports the exact sum of its own request.
    assert [Decimal(str(b["result"])) for b in bodies] == [
        Decimal(i) + Decimal("0.5") for i in range(LOAD_COUNT)
    ]

    ids = [rid for rid, _ in records]
    assert len(ids) == LOAD_COUNT, f"{len(ids)} records for {LOAD_COUNT} requests"
    assert len(set(ids)) == LOAD_COUNT, "duplicated records"
    assert set(ids) == set(answered), "lost records or records nobody was told about"
    # Each record holds what its request sent, exactly: a = i, result = i + 0.5.
    by_id = dict(records)
    for i, rid in enumerate(answered):
        rec = by_id[rid]
        assert record_operand_a(step, rec) == i
        assert rec["result"] == Decimal(i) + Decimal("0.5")
    print(f"{step}: {LOAD_COUNT} invocations at {LOAD_CONCURRENCY} concurrent in {elapsed:.1f} s")
