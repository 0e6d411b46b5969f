"""DynamoDB helpers: numbers boto3 accepts, items to and from attribute values, conditional writes."""

from __future__ import annotations

import decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from ..core.errors import SinkWriteFailed
from .errors import SINK_WRITES, Translation, error_code, translate_errors

__all__ = [
    "conditional_write",
    "dynamodb_value",
    "from_item",
    "put_once",
    "to_attribute",
    "to_item",
    "update_params",
]

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


def conditional_write(
    client: Any,
    operation: str,
    table: str,
    translation: Translation = SINK_WRITES,
    resource: str | None = None,
    **params: Any,
) -> tuple[bool, dict[str, Any] | None]:
    """Run one conditional PutItem or UpdateItem.

    Returns (True, the attributes ReturnValues asked for, or None) when it landed, else (False, the item
    as it is, or None when there is none); any other failure raises, translated.
    """
    with translate_errors("DynamoDB table", table, translation=translation):
        try:
            response = getattr(client, operation)(
                TableName=table, ReturnValuesOnConditionCheckFailure="ALL_OLD", **params
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            old = exc.response.get("Item")
            return False, from_item(old) if old else None
    new = response.get("Attributes")
    return True, from_item(new) if new else None


def update_params(values: dict[str, Any], remove: tuple[str, ...] = ()) -> dict[str, Any]:
    """UpdateItem's expression, names and values for SET (and REMOVE) of these attributes."""
    names = {f"#s{i}": name for i, name in enumerate(values)}
    names.update({f"#r{i}": name for i, name in enumerate(remove)})
    expression = "SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(values)))
    if remove:
        expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
    return {
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {f":s{i}": to_attribute(v) for i, v in enumerate(values.values())},
    }


def put_once(client: Any, table: str, item: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Put the item unless its `id` exists; return (the stored item, whether this call stored it).

    One conditional write: concurrent or replayed puts of the same id store it exactly once, and the
    losers get the item that won (ReturnValuesOnConditionCheckFailure), not an error.
    """
    landed, old = conditional_write(
        client, "put_item", table, Item=to_item(item), ConditionExpression="attribute_not_exists(id)"
    )
    if landed:
        return item, True
    if old is None:
        # The condition failed, yet DynamoDB returned no item: not a state a caller can act on.
        raise SinkWriteFailed(
            f"the write to DynamoDB table {table} failed (ConditionalCheckFailedException)",
            service="DynamoDB table",
            resource=table,
            aws_error_code="ConditionalCheckFailedException",
        )
    return old, False
