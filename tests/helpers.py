"""Helpers for the tests: load a step's app, talk to it, read what its sink holds."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from starlette.testclient import TestClient

from devtools.emulator import EmbeddedAws, Resources
from devtools.modules import load_module
from devtools.steps import PLAIN_STEPS, ROOT, SINK_STEPS

# The steps every HTTP-level test serves (steps 1-4; step 0 needs a model, step 5 is a Lambda).
ALL_STEPS = PLAIN_STEPS
__all__ = ["ALL_STEPS", "SINK_STEPS", "landed", "load_step", "step_client"]
REQUEST_ID_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"
SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"


def load_step(step: str) -> ModuleType:
    """Import <step>/agent.py once, under a unique module name (every step's module is called agent)."""
    return load_module(ROOT / step / "agent.py", f"step_{step}_agent")


def step_client(step: str) -> TestClient:
    """A TestClient over the step's real BedrockAgentCoreApp."""
    return TestClient(load_step(step).app, raise_server_exceptions=False)


def landed(aws_server: EmbeddedAws, res: Resources, step: str) -> list[Any]:
    """Everything the step's sink holds now: SQS message bodies, S3 keys or DynamoDB items."""
    if step == "2_sqs_sink":
        sqs = aws_server.client("sqs")
        bodies: list[Any] = []
        for url in (res.queue_url, res.fifo_queue_url):
            while True:
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)
                messages = got.get("Messages", [])
                if not messages:
                    break
                bodies.extend(m["Body"] for m in messages)
        return bodies
    if step == "3_s3_sink":
        listing = aws_server.client("s3").list_objects_v2(Bucket=res.bucket)
        return [o["Key"] for o in listing.get("Contents", [])]
    if step == "4_dynamodb_sink":
        return aws_server.client("dynamodb").scan(TableName=res.table_name, ConsistentRead=True)["Items"]
    return []


class _RawBody:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def inject_aws_error(client: Any, operation: str, status: int, code: str) -> list[int]:
    """Make every call of `operation` on this real client get an AWS error response over botocore.

    The response goes through botocore's parser and retry handler as a real one would (so throttling
    is retried by the standard mode); the returned list counts the attempts.
    """
    from botocore.awsrequest import AWSResponse

    service = client.meta.service_model
    attempts: list[int] = []
    if service.protocol == "rest-xml":
        body = f"<Error><Code>{code}</Code><Message>injected {code}</Message></Error>".encode()
        headers = {"Content-Type": "application/xml"}
    else:
        body = f'{{"__type": "{code}", "message": "injected {code}"}}'.encode()
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-query-error": f"{code};Sender"}

    def respond(request: Any, **_: Any) -> AWSResponse:
        attempts.append(1)
        return AWSResponse(request.url, status, headers, _RawBody(body))

    event = f"before-send.{service.endpoint_prefix}.{operation}"
    client.meta.events.register(event, respond)
    return attempts


def agentcore_client(endpoint_url: str, read_timeout: float = 30) -> Any:
    """A real boto3 bedrock-agentcore client for a local data plane (test credentials, no retries)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "bedrock-agentcore",
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=read_timeout),
    )


def wait_until(check: Any, timeout: float, what: str, every: float = 0.05) -> Any:
    """Poll `check()` until it returns something truthy (returned) or `timeout` seconds pass."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {timeout} s")
        time.sleep(every)
