"""The floor for section 3: a bare BedrockAgentCoreApp whose entrypoint adds a and b and makes the raw
boto3 write (same call, same parameters, same Config as the steps), with no validation and no shared code."""

import json
import logging
import os
import uuid

import boto3
from bedrock_agentcore.runtime import BedrockAgentCoreApp
from botocore.config import Config

app = BedrockAgentCoreApp()
logging.getLogger("bedrock_agentcore.app").setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
SERVICE = os.environ["BENCH_SINK_SERVICE"]
CONFIG = Config(
    connect_timeout=3,
    read_timeout=10,
    retries={"mode": "standard", "total_max_attempts": 3},
    tcp_keepalive=True,
)
_client = None


@app.entrypoint
def invoke(payload):
    """Add, write the record with one raw boto3 call, answer."""
    global _client
    if _client is None:
        _client = boto3.session.Session().client(SERVICE, region_name=os.environ["AWS_REGION"], config=CONFIG)
    prompt = payload["prompt"]
    result = prompt["a"] + prompt["b"]
    rid = str(uuid.uuid4())
    record = {"operation": "sum", "input": prompt, "result": result, "timestamp": "2026-01-01T00:00:00.000Z",
              "source": "agentcore", "request_id": rid, "session_id": None}  # fmt: skip
    if SERVICE == "sqs":
        _client.send_message(QueueUrl=os.environ["SQS_QUEUE_URL"], MessageBody=json.dumps(record))
    elif SERVICE == "s3":
        _client.put_object(
            Bucket=os.environ["S3_BUCKET_NAME"], Key=f"floor/2026/01/01/{rid}.json",
            Body=json.dumps(record).encode(), ContentType="application/json", IfNoneMatch="*",
        )  # fmt: skip
    else:
        item = {"id": {"S": rid}, "request_id": {"S": rid}, "timestamp": {"S": record["timestamp"]},
                "operation": {"S": "sum"}, "input_a": {"N": str(prompt["a"])},
                "input_b": {"N": str(prompt["b"])}, "result": {"N": str(result)},
                "source": {"S": "agentcore"}, "ttl": {"N": "1797896907"}}  # fmt: skip
        _client.put_item(
            TableName=os.environ["DYNAMODB_TABLE_NAME"], Item=item,
            ConditionExpression="attribute_not_exists(id)", ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )  # fmt: skip
    return {"result": result, "stored": True, "id": rid}


if __name__ == "__main__":
    from shared.agentcore.serving import serve  # served as the steps are

    serve(app)
