"""An embedded AWS (moto's server on a loopback port) and the sink resources the steps write to."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config

# The emulator needs some region; a real AWS_REGION in the environment wins.
DEFAULT_LOCAL_REGION = "us-east-1"
_LOCAL_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=30)


@dataclass(frozen=True)
class Resources:
    """Names of the sinks created in the emulator."""

    queue_url: str
    fifo_queue_url: str
    bucket: str
    table_name: str

    def env(self) -> dict[str, str]:
        """Return the step settings that point at these resources."""
        return {
            "SQS_QUEUE_URL": self.queue_url,
            "S3_BUCKET_NAME": self.bucket,
            "DYNAMODB_TABLE_NAME": self.table_name,
        }


class EmbeddedAws:
    """moto's ThreadedMotoServer on 127.0.0.1 and an ephemeral port, used as a context manager."""

    def __init__(self, region: str | None = None) -> None:
        self.region = region or os.environ.get("AWS_REGION") or DEFAULT_LOCAL_REGION
        self._server: Any = None
        self.endpoint_url = ""

    def start(self) -> EmbeddedAws:
        """Start the server and return self."""
        import logging

        from moto.server import ThreadedMotoServer

        # werkzeug logs every emulated AWS call; keep the demo and test output readable.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        """Stop the server."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> EmbeddedAws:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """Return the standard AWS variables that point boto3 in a child process at this emulator."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            # moto accepts any credentials; these keep a real profile from ever being used.
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def client(self, service: str) -> Any:
        """Return a boto3 client bound to the emulator."""
        env = self.env()
        session = boto3.session.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=env["AWS_SESSION_TOKEN"],
            region_name=self.region,
        )
        return session.client(service, endpoint_url=self.endpoint_url, config=_LOCAL_CONFIG)

    def create_resources(self, name: str | None = None) -> Resources:
        """Create the queue (and a FIFO twin), the bucket and the table (TTL on `ttl`)."""
        name = name or f"agentcore-{uuid.uuid4().hex[:12]}"
        sqs = self.client("sqs")
        queue_url = sqs.create_queue(QueueName=f"{name}-results")["QueueUrl"]
        fifo_url = sqs.create_queue(
            QueueName=f"{name}-results.fifo",
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"},
        )["QueueUrl"]
        s3 = self.client("s3")
        bucket = f"{name}-results"
        if self.region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": self.region})
        ddb = self.client("dynamodb")
        table = f"{name}-results"
        ddb.create_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
        ddb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
        )
        return Resources(queue_url=queue_url, fifo_queue_url=fifo_url, bucket=bucket, table_name=table)
