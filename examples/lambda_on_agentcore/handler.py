"""A Lambda function, written for Lambda and unchanged here: a + b, stored once per client token.

It uses what Lambda code commonly uses: Powertools' Logger with `inject_lambda_context`, the DynamoDB
idempotency utility (a retried request returns the first result instead of writing twice), a
module-level boto3 resource, and the context's `aws_request_id`. Nothing in it knows about AgentCore;
`agent.py` serves it there through `shared.agentcore.lambda_adapter`.

Event: {"a": <number>, "b": <number>, "client_token": "<1 to 128 characters>"}.
Environment: RESULTS_TABLE_NAME, IDEMPOTENCY_TABLE_NAME (both with a string key `id`), AWS_REGION.
"""

import os
import uuid
from decimal import Decimal, InvalidOperation

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent,
)

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "sums"))
persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE_NAME"])
# The token names the request; a and b must match the first request that used it.
config = IdempotencyConfig(
    event_key_jmespath="client_token",
    payload_validation_jmespath="[a, b]",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=3600,
)
results = boto3.resource("dynamodb").Table(os.environ["RESULTS_TABLE_NAME"])


def _number(event, name):
    value = event.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"{name} must be a finite number") from exc
    if not number.is_finite():
        raise ValueError(f"{name} must be a finite number")
    return number


@logger.inject_lambda_context(clear_state=True)
@idempotent(config=config, persistence_store=persistence)
def handler(event, context):
    """Store a + b under a new id and return it; a replayed client_token returns the first result."""
    a, b = _number(event, "a"), _number(event, "b")
    total = a + b
    item = {
        "id": str(uuid.uuid4()),
        "a": a,
        "b": b,
        "result": total,
        "client_token": event["client_token"],
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
    }
    results.put_item(Item=item, ConditionExpression="attribute_not_exists(id)")
    logger.info("stored the sum", extra={"item_id": item["id"]})
    return {
        "id": item["id"],
        "result": str(total),
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
    }
