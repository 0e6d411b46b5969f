"""Bugs the reliability tests found in the sink writers, pinned down."""

from __future__ import annotations

import uuid
from decimal import Decimal

import boto3
import pytest
from moto import mock_aws

from shared.sinks.writers import DynamoDbWriter
from shared.core.records import SumRecord
from tests.helpers import fake_credentials

pytestmark = pytest.mark.reliability


@pytest.fixture
def table(monkeypatch):
    fake_credentials(monkeypatch)
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        name = f"regression-{uuid.uuid4().hex[:8]}"
        ddb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield ddb, name


# Storable numbers (at most 38 significant digits) written with more than 38 digits: boto3's
# serializer raised decimal.Rounded, which became a 500 from step 4 (found by the HTTP fuzz).
@pytest.mark.parametrize(
    ("a", "b"),
    [
        (0, 10**60),
        (10**38, 10**38),
        (Decimal("1." + "0" * 45), Decimal("2.50000000000000000000000000000000000000000")),
        (-(10**125), 0),
        (0, Decimal("0E+130")),
        (Decimal("-0E-200"), Decimal("1E-130")),
    ],
)
def test_dynamodb_writer_stores_numbers_with_trailing_zeros(table, a, b):
    ddb, name = table
    record = SumRecord(a=a, b=b, result=a + b, request_id=str(uuid.uuid4()), session_id=None)
    item = DynamoDbWriter(ddb, name, ttl_days=1).put(record)
    assert item["result"] == a + b
    stored = ddb.get_item(TableName=name, Key={"id": {"S": record.request_id}})["Item"]
    assert Decimal(stored["result"]["N"]) == Decimal(a + b)
    assert Decimal(stored["input_a"]["N"]) == Decimal(a)
    assert Decimal(stored["input_b"]["N"]) == Decimal(b)
