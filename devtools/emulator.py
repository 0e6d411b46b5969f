"""An embedded AWS (moto's server on a loopback port) and the sink resources the steps write to."""

from __future__ import annotations

import json
import os
import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config

# The emulator needs some region; a real AWS_REGION in the environment wins.
DEFAULT_LOCAL_REGION = "us-east-1"
# The one definition of the sinks, shared with the AWS deployment (see infra/README.md).
SINKS_TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "sinks.yaml"
# Resource types some of whose properties moto's CloudFormation skips (applied by API instead).
_PATCHED_TYPES = frozenset({"AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::DynamoDB::Table"})
# What UpdateProject may change in a CodeBuild project (the fields the toolkit sends).
_PROJECT_FIELDS = (
    "description", "source", "artifacts", "environment", "serviceRole", "cache", "timeoutInMinutes",
    "queuedTimeoutInMinutes", "sourceVersion", "logsConfig", "vpcConfig",
)  # fmt: skip
_LOCAL_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=3, read_timeout=30
)


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


def fill_moto_gaps() -> None:
    """Patch moto's in-process backends where `agentcore deploy` needs what the service does (idempotent).

    - The service creates a runtime's DEFAULT endpoint (and moves it to each new version); moto creates
      none, so the starter toolkit polls GetAgentRuntimeEndpoint for 120 s after every deploy.
    - A runtime's ARN is `...:runtime/<runtime id>` for all its versions; moto makes `...:agent/<uuid>:<n>`
      and changes it on every update, so an ARN saved by `agentcore deploy` stops naming the runtime.
    - moto has no CodeBuild UpdateProject, which the toolkit calls on every deploy after the first one.
    """
    from moto.bedrockagentcorecontrol.models import AgentRuntime
    from moto.bedrockagentcorecontrol.models import BedrockAgentCoreControlBackend as Control
    from moto.codebuild.exceptions import ResourceNotFoundException
    from moto.codebuild.responses import CodeBuildResponse
    from moto.core.responses import ActionResult
    from moto.core.utils import unix_time

    if getattr(Control, "_default_endpoint_patched", False):
        return
    create_runtime, update_runtime = Control.create_agent_runtime, Control.update_agent_runtime
    init_model, update_model = AgentRuntime.__init__, AgentRuntime.update

    def service_arn(runtime: Any) -> None:
        where = f"{runtime.region_name}:{runtime.account_id}"
        runtime.agent_runtime_arn = f"arn:aws:bedrock-agentcore:{where}:runtime/{runtime.agent_runtime_id}"
        for version in runtime.versions:
            version["agentRuntimeArn"] = runtime.agent_runtime_arn

    def init_runtime(self: Any, *args: Any, **kwargs: Any) -> None:
        init_model(self, *args, **kwargs)
        service_arn(self)

    def update_runtime_model(self: Any, *args: Any, **kwargs: Any) -> None:
        self.agent_runtime_arn = "agent/moto-parses-this:0"  # moto's update reads its own ARN format
        update_model(self, *args, **kwargs)
        service_arn(self)

    def create_agent_runtime(self: Any, *args: Any, **kwargs: Any) -> Any:
        runtime = create_runtime(self, *args, **kwargs)
        self.create_agent_runtime_endpoint(runtime.agent_runtime_id, "DEFAULT", None, None, None)
        return runtime

    def update_agent_runtime(self: Any, agent_runtime_id: str, *args: Any, **kwargs: Any) -> Any:
        runtime = update_runtime(self, agent_runtime_id, *args, **kwargs)
        endpoint = self.agent_runtime_endpoints.get((agent_runtime_id, "DEFAULT"))
        if endpoint is not None:
            endpoint.agent_runtime_arn = runtime.agent_runtime_arn
            endpoint.target_version = endpoint.live_version = runtime.agent_runtime_version
        return runtime

    def update_project(self: Any) -> ActionResult:
        project = self.codebuild_backend.codebuild_projects.get(self._get_param("name"))
        if project is None:
            raise ResourceNotFoundException(f"Project {self._get_param('name')} does not exist")
        for field in _PROJECT_FIELDS:
            if self._get_param(field) is not None:
                project.project_metadata[field] = self._get_param(field)
        project.project_metadata["lastModifiedDate"] = unix_time()
        return ActionResult({"project": project.project_metadata})

    AgentRuntime.__init__ = init_runtime  # type: ignore[method-assign]
    AgentRuntime.update = update_runtime_model  # type: ignore[method-assign]
    Control.create_agent_runtime = create_agent_runtime  # type: ignore[method-assign]
    Control.update_agent_runtime = update_agent_runtime  # type: ignore[method-assign]
    CodeBuildResponse.update_project = update_project  # type: ignore[attr-defined]
    Control._default_endpoint_patched = True  # type: ignore[attr-defined]


_DYNAMODB_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")


def serialize_dynamodb_writes() -> None:
    """Make moto's DynamoDB writes atomic, as DynamoDB's are (idempotent).

    moto 5.2.5 reads the current item, checks a write's condition and then applies it without a lock, so
    two threads of its server could both pass `attribute_not_exists(id)` for one item; DynamoDB never lets
    that happen, and the job tests (20 concurrent resubmissions, one winner) rely on it. One lock over
    every write.
    """
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_writes_serialized", False):
        return
    lock = threading.RLock()

    def serialized(method: Any) -> Any:
        def write(self: Any, *args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(self, *args, **kwargs)

        return write

    for name in _DYNAMODB_WRITES:
        setattr(DynamoDBBackend, name, serialized(getattr(DynamoDBBackend, name)))
    DynamoDBBackend._writes_serialized = True  # type: ignore[attr-defined]


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
        import logging

        from moto.server import ThreadedMotoServer

        # werkzeug logs every emulated AWS call; keep the demo and test output readable.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # moto logs each resource type its CloudFormation skips; create_resources applies those by API.
        logging.getLogger("moto.cloudformation.parsing").setLevel(logging.ERROR)

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
            self._clients[service] = self._new_client(service)
        return self._clients[service]

    def _new_client(self, service: str) -> Any:
        env = self.env()
        session = boto3.session.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=env["AWS_SESSION_TOKEN"],
            region_name=self.region,
        )
        return session.client(service, endpoint_url=self.endpoint_url, config=_LOCAL_CONFIG)

    def deploy_stack(
        self,
        stack_name: str,
        template: Path,
        parameters: Mapping[str, str] | None = None,
        capabilities: tuple[str, ...] = (),
    ) -> dict[str, str]:
        """Create a stack from a template file with CloudFormation in moto and return its outputs."""
        # moto's CloudFormation warns about every resource type it does not model; the callers below
        # apply those by API instead, so the warning is noise.
        warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)
        cfn = self.client("cloudformation")
        cfn.create_stack(
            StackName=stack_name,
            TemplateBody=template.read_text(encoding="utf-8"),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()],
            Capabilities=list(capabilities),
        )
        cfn.get_waiter("stack_create_complete").wait(
            StackName=stack_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
        )
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
        return {out["OutputKey"]: out["OutputValue"] for out in stack.get("Outputs", [])}

    def create_resources(self, name: str | None = None) -> Resources:
        """Create the sinks from infra/sinks.yaml (FIFO twin included) with CloudFormation in moto.

        moto's CloudFormation skips a few properties (S3 public access block and ownership controls;
        DynamoDB TTL and point-in-time recovery): they are read from the same template and applied by
        API, so the local sinks and the deployed ones share one definition. The bucket's deny-non-TLS
        policy is the one exception (see apply_ignored_properties).
        """
        name = name or f"agentcore-{uuid.uuid4().hex[:12]}"
        stack_name = f"{name}-sinks"
        outputs = self.deploy_stack(stack_name, SINKS_TEMPLATE, {"ResourcePrefix": name})
        self.apply_ignored_properties(stack_name, SINKS_TEMPLATE)
        sqs = self.client("sqs")

        def local_url(url: str) -> str:
            # The stack reports AWS-style queue URLs; ask the emulator for its own, like create_queue did.
            return str(sqs.get_queue_url(QueueName=url.rsplit("/", 1)[-1])["QueueUrl"])

        return Resources(
            queue_url=local_url(outputs["SqsQueueUrl"]),
            fifo_queue_url=local_url(outputs["SqsFifoQueueUrl"]),
            bucket=outputs["S3BucketName"],
            table_name=outputs["DynamoDbTableName"],
        )

    def apply_ignored_properties(
        self, stack_name: str, template_path: Path, *, with_bucket_policy: bool = False
    ) -> None:
        """Apply by API the template properties that moto's CloudFormation does not.

        Bucket policies are left out unless asked for: moto 5 does not evaluate aws:SecureTransport and
        treats the template's conditional deny-non-TLS statement as a plain deny, refusing every write.
        """
        from devtools.cfn import load_template, resolve

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
