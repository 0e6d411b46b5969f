"""DynamoDB helpers: numbers boto3 accepts, items to and from attribute values, one put-once."""

from __future__ import annotations

import decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from ..core.errors import SinkWriteFailed
from .errors import translate_errors

__all__ = ["dynamodb_value", "from_item", "put_once", "to_attribute", "to_item"]

_serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize
# boto3's serializer works at DynamoDB's 38-digit precision and traps Rounded even when only trailing
# zeros would go (10**60 is storable, but has 61 digits); Inexact still guards against a real loss.
_DYNAMODB_DIGITS = 38
_TRIM_CONTEXT = decimal.Context(prec=_DYNAMODB_DIGITS, traps=[decimal.Inexact])


def dynamodb_value(value: Any) -> Any:
    """Give boto3's serializer a number it accepts: plain zero, no surplus trailing zeros."""
    if isinstance(value, (int, decimal.Decimal)) and not isinstance(value, bool):
        number = decimal.Decimal(value)
        if number.is_zero():
            # A zero with a huge exponent (0E+130, valid JSON) trips the serializer's Clamped trap.
            return decimal.Decimal(0)
        if len(number.as_tuple().digits) > _DYNAMODB_DIGITS:
            return number.normalize(_TRIM_CONTEXT)
    return value


def to_attribute(value: Any) -> dict[str, Any]:
    """Serialize one value as a DynamoDB attribute value, numbers made acceptable first."""
    return dict(_serialize(dynamodb_value(value)))


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """Serialize a plain dict as a DynamoDB item."""
    return {name: to_attribute(value) for name, value in values.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """Deserialize a DynamoDB item into a plain dict (numbers as Decimal)."""
    return {name: _deserialize(value) for name, value in item.items()}


def put_once(client: Any, table: str, item: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Put the item unless its `id` exists; return (the stored item, whether this call stored it).

    One conditional write: concurrent or replayed puts of the same id store it exactly once, and the
    losers get the item that won (ReturnValuesOnConditionCheckFailure), not an error.
    """
    try:
        with translate_errors("DynamoDB table", table):
            client.put_item(
                TableName=table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(id)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
    except SinkWriteFailed as exc:
        cause = exc.__cause__
        old = cause.response.get("Item") if isinstance(cause, ClientError) else None
        if exc.details.get("aws_error_code") != "ConditionalCheckFailedException" or not old:
            raise
        return from_item(old), False
    return item, True
