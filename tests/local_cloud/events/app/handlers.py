"""Handlers of the test app the events world deploys (tests/local_cloud/events/app/template.yaml)."""

import json
import os
import time

import boto3


class Boom(Exception):
    """What `echo` raises when asked to."""


def echo(event, context):
    """Answer the event and what the environment gives the function; raise or sleep when asked to."""
    if isinstance(event, dict) and event.get("boom"):
        raise Boom(event["boom"])
    if isinstance(event, dict) and event.get("sleep"):
        time.sleep(event["sleep"])
    names = ("GREETING", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_REGION", "PID")
    env = {name: os.environ.get(name) for name in names} | {"PID": os.getpid()}
    return {"event": event, "env": env, "function_arn": context.invoked_function_arn}


def batch(event, context):
    """An SQS batch: each record noted in SEEN_TABLE; "poison" bodies reported failed, "crash" raises."""
    table = boto3.client("dynamodb")
    failures, crash = [], False
    for record in event["Records"]:
        body = json.loads(record["body"])
        table.update_item(
            TableName=os.environ["SEEN_TABLE"],
            Key={"id": {"S": record["messageId"]}},
            UpdateExpression="ADD seen :one SET body = :body",
            ExpressionAttributeValues={":one": {"N": "1"}, ":body": {"S": record["body"]}},
        )
        crash = crash or bool(body.get("crash"))
        if body.get("poison"):
            failures.append({"itemIdentifier": record["messageId"]})
    if crash:
        raise RuntimeError("the whole batch fails, after every record was processed")
    return {"batchItemFailures": failures}
