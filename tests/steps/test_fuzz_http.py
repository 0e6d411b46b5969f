"""Fuzz over HTTP: generated payloads through the real apps (Starlette TestClient, moto in-process)
-> never a 5xx, never a record for a 4xx, exact results for a 200, nothing internal in a response."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import boto3
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from starlette.testclient import TestClient

from commands.steps import PLAIN_STEPS
from shared.aws import reset_clients
from shared.core.jsonnum import loads_exact
from tests.helpers import FUZZ_EXAMPLES, JSON_VALUES, NUMBER_TEXT, assert_no_leak, fake_credentials
from tests.steps.helpers import load_fresh_app

STEPS = PLAIN_STEPS
pytestmark = pytest.mark.reliability
ODD_NUMBERS = st.sampled_from(
    ["NaN", "Infinity", "-Infinity", "1" * 5000, "-" + "9" * 4301, "1e", "01", ".5"]
)


def _json_text(value) -> str:
    try:
        return json.dumps(value, default=str)
    except ValueError:
        return "null"


BODIES = st.one_of(
    st.binary(max_size=64),
    st.text(max_size=32).map(str.encode),
    JSON_VALUES.map(lambda v: _json_text(v).encode()),
    st.fixed_dictionaries({"prompt": JSON_VALUES}).map(lambda v: _json_text(v).encode()),
    st.tuples(NUMBER_TEXT | ODD_NUMBERS, NUMBER_TEXT | ODD_NUMBERS).map(
        lambda ab: f'{{"prompt": {{"a": {ab[0]}, "b": {ab[1]}}}}}'.encode()
    ),
    st.sampled_from(
        [b"[" * 5000 + b"]" * 5000, b'{"prompt": ' * 3000 + b"1" + b"}" * 3000, b"", b"\xff\xfe"]
    ),
)


@pytest.fixture
def mock_sinks(monkeypatch):
    """moto in-process with one queue, bucket and table; the step settings pointing at them."""
    fake_credentials(monkeypatch)
    monkeypatch.setenv("LOG_LEVEL", "CRITICAL")
    with mock_aws():
        reset_clients()
        sqs, s3, ddb = (boto3.client(s, region_name="us-east-1") for s in ("sqs", "s3", "dynamodb"))
        queue_url = sqs.create_queue(QueueName="fuzz-results")["QueueUrl"]
        s3.create_bucket(Bucket="fuzz-results")
        ddb.create_table(
            TableName="fuzz-results",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        monkeypatch.setenv("SQS_QUEUE_URL", queue_url)
        monkeypatch.setenv("S3_BUCKET_NAME", "fuzz-results")
        monkeypatch.setenv("DYNAMODB_TABLE_NAME", "fuzz-results")
        yield {"sqs": sqs, "s3": s3, "ddb": ddb, "queue_url": queue_url}
        reset_clients()


def _stored_request_ids(step: str, mock_sinks) -> list[str]:
    if step == "2_sqs_sink":
        ids = []
        while True:
            got = (
                mock_sinks["sqs"]
                .receive_message(QueueUrl=mock_sinks["queue_url"], MaxNumberOfMessages=10)
                .get("Messages", [])
            )
            if not got:
                return ids
            ids += [json.loads(m["Body"])["request_id"] for m in got]
            mock_sinks["sqs"].delete_message_batch(
                QueueUrl=mock_sinks["queue_url"],
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)],
            )
    if step == "3_s3_sink":
        pages = mock_sinks["s3"].get_paginator("list_objects_v2").paginate(Bucket="fuzz-results")
        return [Path(o["Key"]).stem for p in pages for o in p.get("Contents", [])]
    if step == "4_dynamodb_sink":
        pages = mock_sinks["ddb"].get_paginator("scan").paginate(TableName="fuzz-results")
        return [item["id"]["S"] for p in pages for item in p["Items"]]
    return []


@pytest.mark.timeout(900)
@pytest.mark.parametrize("step", STEPS)
def test_generated_payloads_never_5xx_and_never_write_on_4xx(step, mock_sinks):
    app = load_fresh_app(step)
    seen: list[int] = []
    succeeded: list[str] = []

    with TestClient(app, raise_server_exceptions=False) as client:

        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(BODIES)
        @example(b'{"prompt": {"a": 1, "b": 2}}')  # the outcomes asserted below, whatever is drawn
        @example(b'{"prompt": {"a": "1", "b": 2}}')
        def check(body: bytes) -> None:
            resp = client.post("/invocations", content=body, headers={"Content-Type": "application/json"})
            seen.append(resp.status_code)
            assert resp.status_code < 500, (body[:200], resp.text)
            assert_no_leak(resp.text)
            payload = resp.json()
            if resp.status_code >= 400:
                error = payload["error"]
                assert error["code"] and error["message"] and "field" in error, payload
                return
            assert resp.status_code == 200
            sent = loads_exact(body)["prompt"]
            got = loads_exact(resp.content)
            assert Fraction(got["result"]) == Fraction(sent["a"]) + Fraction(sent["b"])
            if step != "1_compute_without_model":
                succeeded.append(got.get("item_id") or got["request_id"])

        check()
        stored = _stored_request_ids(step, mock_sinks)

    assert len(seen) >= FUZZ_EXAMPLES * 0.95, f"only {len(seen)} payloads were generated"
    assert 200 in seen and any(400 <= s < 500 for s in seen), set(seen)
    # Every 200 has exactly its record; no 4xx wrote anything.
    assert sorted(stored) == sorted(succeeded)
    print(f"{step}: {len(seen)} payloads, {seen.count(200)} accepted, {len(seen) - seen.count(200)} refused")
