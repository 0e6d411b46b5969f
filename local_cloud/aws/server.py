"""An embedded AWS: moto's server on a loopback port, its clients, and stacks deployed from templates."""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config

from .cfn import load_template, resolve
from .patches import fill_moto_gaps, serialize_dynamodb_writes

# The emulator needs some region; a real AWS_REGION in the environment wins.
DEFAULT_LOCAL_REGION = "us-east-1"
# Resource types some of whose properties moto's CloudFormation skips (applied by API instead).
_PATCHED_TYPES = frozenset({"AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::DynamoDB::Table"})
_LOCAL_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=3, read_timeout=30
)


def _skipped_types_unlogged(record: logging.LogRecord) -> bool:
    """A logging filter: drop moto's "No Moto CloudFormation support for <type>" lines."""
    return not str(record.msg).startswith("No Moto CloudFormation support")


def _ref_target(value: Any) -> str | None:
    """Return the logical id a `{"Ref": ...}` points at, or None for anything else."""
    return value.get("Ref") if isinstance(value, dict) else None


class EmbeddedAws:
    """moto's ThreadedMotoServer on 127.0.0.1 and an ephemeral port, used as a context manager."""

    def __init__(self, region: str | None = None) -> None:
        self.region = region or os.environ.get("AWS_REGION") or DEFAULT_LOCAL_REGION
        self._server: Any = None
        self.endpoint_url = ""
        self._clients: dict[str, Any] = {}

    def start(self) -> EmbeddedAws:
        """Start the server and return self."""
        from moto.server import ThreadedMotoServer

        # werkzeug logs every emulated AWS call; keep the demo and test output readable.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # moto logs each resource type its CloudFormation skips (on its "moto" logger, in 5.2.5); the callers
        # create those by API.
        logging.getLogger("moto.cloudformation.parsing").setLevel(logging.ERROR)
        logging.getLogger("moto").addFilter(_skipped_types_unlogged)

        fill_moto_gaps()
        serialize_dynamodb_writes()
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
        self._clients.clear()

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
        """Return this emulator's boto3 client for the service (built once: building one costs ~0.2 s)."""
        if service not in self._clients:
            self._clients[service] = self.new_client(service)
        return self._clients[service]

    def new_client(
        self, service: str, config: Config = _LOCAL_CONFIG, endpoint_url: str | None = None
    ) -> Any:
        """A new client with this emulator's credentials (its endpoint unless another is given)."""
        env = self.env()
        session = boto3.session.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=env["AWS_SESSION_TOKEN"],
            region_name=self.region,
        )
        return session.client(service, endpoint_url=endpoint_url or self.endpoint_url, config=config)

    def local_queue_url(self, url: str) -> str:
        """This emulator's URL for a queue a stack reports with an AWS-style URL (or names by ARN)."""
        name = url.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        return str(self.client("sqs").get_queue_url(QueueName=name)["QueueUrl"])

    def deploy_stack(
        self,
        stack_name: str,
        template: Path | Mapping[str, Any],
        parameters: Mapping[str, str] | None = None,
        capabilities: tuple[str, ...] = (),
    ) -> dict[str, str]:
        """Create a stack from a template (a file or loaded) in moto's CloudFormation, return its outputs."""
        # moto's CloudFormation warns about every resource type it does not model; the callers below
        # apply those by API instead, so the warning is noise.
        warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)
        cfn = self.client("cloudformation")
        cfn.create_stack(
            StackName=stack_name,
            TemplateBody=(
                template.read_text(encoding="utf-8") if isinstance(template, Path) else json.dumps(template)
            ),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()],
            Capabilities=list(capabilities),
        )
        cfn.get_waiter("stack_create_complete").wait(
            StackName=stack_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
        )
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
        return {out["OutputKey"]: out["OutputValue"] for out in stack.get("Outputs", [])}

    def apply_ignored_properties(
        self, stack_name: str, template_path: Path, *, with_bucket_policy: bool = False
    ) -> None:
        """Apply by API the template properties that moto's CloudFormation does not.

        Bucket policies are left out unless asked for: moto 5 does not evaluate aws:SecureTransport and
        treats the template's conditional deny-non-TLS statement as a plain deny, refusing every write.
        """

        template = load_template(template_path)
        cfn = self.client("cloudformation")
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
        account = stack["StackId"].split(":")[4]
        physical = {
            res["LogicalResourceId"]: res["PhysicalResourceId"]
            for res in cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
        }
        refs: dict[str, Any] = {
            "AWS::AccountId": account,
            "AWS::Region": self.region,
            "AWS::Partition": "aws",
            "AWS::StackName": stack_name,
            "AWS::URLSuffix": "amazonaws.com",
            **{p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])},
            **physical,
        }
        resources = template.get("Resources", {})
        attrs = {
            f"{logical}.Arn": f"arn:aws:s3:::{physical[logical]}"
            for logical, res in resources.items()
            if res.get("Type") == "AWS::S3::Bucket" and logical in physical
        }
        s3, ddb = self.client("s3"), self.client("dynamodb")
        for logical, res in resources.items():
            kind = res.get("Type")
            if kind not in _PATCHED_TYPES:
                continue  # moto models every property of the other types
            if kind == "AWS::S3::BucketPolicy":
                # moto creates no bucket policy resource at all: apply it when its bucket exists.
                if not with_bucket_policy or _ref_target(res["Properties"]["Bucket"]) not in physical:
                    continue
            elif logical not in physical:
                continue  # a resource whose Condition is false
            props = resolve(res.get("Properties", {}), refs, attrs)
            if kind == "AWS::S3::Bucket":
                bucket = physical[logical]
                if "PublicAccessBlockConfiguration" in props:
                    s3.put_public_access_block(
                        Bucket=bucket, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
                    )
                if "OwnershipControls" in props:
                    s3.put_bucket_ownership_controls(
                        Bucket=bucket, OwnershipControls=props["OwnershipControls"]
                    )
            elif kind == "AWS::S3::BucketPolicy":
                s3.put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(props["PolicyDocument"]))
            elif kind == "AWS::DynamoDB::Table":
                table = physical[logical]
                if "TimeToLiveSpecification" in props:
                    ddb.update_time_to_live(
                        TableName=table, TimeToLiveSpecification=props["TimeToLiveSpecification"]
                    )
                if "PointInTimeRecoverySpecification" in props:
                    ddb.update_continuous_backups(
                        TableName=table,
                        PointInTimeRecoverySpecification=props["PointInTimeRecoverySpecification"],
                    )


def dynamodb_item(aws: EmbeddedAws, table: str, item_id: str) -> dict[str, Any]:
    """The item with this id (strongly consistent read), each attribute as its wire value ({} if none).

    Numbers stay the strings DynamoDB sends ("9"), so a comparison sees exactly what was stored.
    """
    got = aws.client("dynamodb").get_item(TableName=table, Key={"id": {"S": item_id}}, ConsistentRead=True)
    return {name: next(iter(value.values())) for name, value in got.get("Item", {}).items()}
