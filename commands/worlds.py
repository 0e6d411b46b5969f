"""The local world each step runs in: its resources in the embedded AWS, its runtime on the local AgentCore
data plane, its front (the local API Gateway for step 5), wired as a deployment would wire them.

`serve-local`, `make demo`, the tests and the benchmarks start steps through these, so each step's
wiring is written once.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_cloud.agentcore import AgentCoreLocal, RuntimeSpec, folder_runtime, runtime_arn
from local_cloud.apigw import ApiGatewayProcess, openapi_routes
from local_cloud.aws import EmbeddedAws
from local_cloud.durable import DurableRun, run_execution
from local_cloud.events import Deployment, EventsWorld
from local_cloud.functions import Handler, load_module
from local_cloud.microvms import ImageSpec, folder_image
from shared.apigw.settings import CALLER_IDENTITY, JOBS_TABLE_NAME, SESSION_ID_SECRET
from shared.aws import reset_clients
from shared.jobs.settings import JOB_LEASE_SECONDS, RUNTIME_MAX_LIFETIME_SECONDS
from shared.runtime.settings import AGENT_RUNTIME_ARN
from shared.sinks.settings import DYNAMODB_TABLE_NAME, S3_BUCKET_NAME, SQS_QUEUE_URL

from .stage import refresh_if_stale
from .steps import ROOT

__all__ = [
    "DURABLE_JOB",
    "DURABLE_JOB_MODULE",
    "SINKS_TEMPLATE",
    "STEP4_RUNTIME_ARN",
    "STEP4_RUNTIME_NAME",
    "STEP5",
    "STEP5_OPENAPI",
    "STEP6",
    "Resources",
    "Step6Timings",
    "Step6World",
    "create_sinks",
    "durable_job_env",
    "durable_job_handler",
    "job_env",
    "lambda_endpoints",
    "lambda_environment",
    "run_durable_job",
    "step4_runtime",
    "step5_front",
    "step5_routes",
    "step6_world",
    "step_image",
    "step_runtime",
]

# The one definition of the sinks, shared with the AWS deployment (see infra/README.md).
SINKS_TEMPLATE = ROOT / "infra" / "sinks.yaml"
STEP5 = ROOT / "5_api_gateway_proxy"
STEP5_OPENAPI = STEP5 / "openapi.json"
STEP5_HANDLER = f"{STEP5 / 'lambda_proxy.py'}:handler"
STEP6 = ROOT / "6_event_sources"
# Step 4's async job as a Lambda durable function (on_lambda/durable_job), run by the durable SDK's runner.
DURABLE_JOB = ROOT / "on_lambda" / "durable_job"
# Imported under a name of its own: every function's module is called handler.
DURABLE_JOB_MODULE = "durable_job_handler"
# Step 4 as the runtime step 5's proxy invokes.
STEP4_RUNTIME_NAME = "step4_dynamodb_sink-local"
STEP4_RUNTIME_ARN = runtime_arn(STEP4_RUNTIME_NAME)


@dataclass(frozen=True)
class Resources:
    """Names of the sinks created in the embedded AWS."""

    queue_url: str
    fifo_queue_url: str
    bucket: str
    table_name: str
    # The sinks stack: its exports (<stack>-DynamoDbTableName, ...) are what steps 5 and 6 import.
    stack_name: str = ""

    def env(self) -> dict[str, str]:
        """Return the step settings that point at these resources."""
        return {
            SQS_QUEUE_URL: self.queue_url,
            S3_BUCKET_NAME: self.bucket,
            DYNAMODB_TABLE_NAME: self.table_name,
        }


def create_sinks(aws: EmbeddedAws, name: str | None = None) -> Resources:
    """Create the sinks from infra/sinks.yaml (FIFO twin included) with CloudFormation in the embedded AWS.

    moto's CloudFormation skips a few properties (S3 public access block and ownership controls;
    DynamoDB TTL and point-in-time recovery): they are read from the same template and applied by API,
    so the local sinks and the deployed ones share one definition. The bucket's deny-non-TLS policy is
    the one exception (see EmbeddedAws.apply_ignored_properties).
    """
    name = name or f"agentcore-{uuid.uuid4().hex[:12]}"
    stack_name = f"{name}-sinks"
    outputs = aws.deploy_stack(stack_name, SINKS_TEMPLATE, {"ResourcePrefix": name})
    aws.apply_ignored_properties(stack_name, SINKS_TEMPLATE)
    # The stack reports AWS-style queue URLs; the emulator's own are what its clients use.
    return Resources(
        queue_url=aws.local_queue_url(outputs["SqsQueueUrl"]),
        fifo_queue_url=aws.local_queue_url(outputs["SqsFifoQueueUrl"]),
        bucket=outputs["S3BucketName"],
        table_name=outputs["DynamoDbTableName"],
        stack_name=stack_name,
    )


def step_runtime(
    name: str, step: str | Path, env: dict[str, str] | None = None, **options: object
) -> RuntimeSpec:
    """A step folder served by the local data plane as runtime `name`, `shared` from this checkout (a stale
    `make stage` copy in the folder, which the step would import first, is refreshed before)."""
    folder = step if isinstance(step, Path) else ROOT / step
    if folder.resolve().is_relative_to(ROOT):
        refresh_if_stale(folder)
    return folder_runtime(name, folder, env, pythonpath=(str(ROOT),), **options)  # type: ignore[arg-type]


def step_image(name: str, step: str | Path, env: dict[str, str] | None = None) -> ImageSpec:
    """A step folder served by the local MicroVMs plane as image `name` (with the folder's image definition,
    if it has one), `shared` from this checkout, as step_runtime does."""
    folder = step if isinstance(step, Path) else ROOT / step
    if folder.resolve().is_relative_to(ROOT):
        refresh_if_stale(folder)
    return folder_image(name, folder, env, pythonpath=(str(ROOT),))


def job_env(max_lifetime: float, lease_seconds: int | None = None) -> dict[str, str]:
    """The job settings both sides read: the runtime's maxLifetime, and (step 4) the job lease."""
    env = {RUNTIME_MAX_LIFETIME_SECONDS: str(int(max_lifetime))}
    lease = lease_seconds if lease_seconds is not None else os.environ.get(JOB_LEASE_SECONDS)
    if lease:
        env[JOB_LEASE_SECONDS] = str(lease)
    return env


def step4_runtime(
    aws: EmbeddedAws, resources: Resources, max_lifetime: float = 28_800, lease_seconds: int | None = None
) -> RuntimeSpec:
    """Step 4 as the runtime the proxy invokes, on the embedded AWS and its sinks; the lease is
    JOB_LEASE_SECONDS (the argument, else this process's environment, else step 4's default)."""
    env = {**aws.env(), **resources.env(), **job_env(max_lifetime, lease_seconds)}
    return step_runtime(STEP4_RUNTIME_NAME, "4_dynamodb_sink", env)


def lambda_endpoints(aws: EmbeddedAws, runtime: AgentCoreLocal) -> dict[str, str]:
    """What a local Lambda has besides its own settings: the credentials and region a deployed function
    gets from its role and runtime, and the local endpoints of the services it calls (AgentCore, DynamoDB)."""
    return {
        **{k: v for k, v in aws.env().items() if k != "AWS_ENDPOINT_URL"},
        **runtime.env(),
        "AWS_ENDPOINT_URL_DYNAMODB": aws.endpoint_url,
    }


def lambda_environment(
    aws: EmbeddedAws,
    resources: Resources,
    runtime: AgentCoreLocal,
    caller_identity: str = "none",
    session_secret: str | None = None,
) -> dict[str, str]:
    """Step 5's Lambda environment: only what a deployed function would have, plus the local endpoints.

    The session secret is a fresh random one unless given (the template's comes from Secrets Manager).
    """
    return {
        **lambda_endpoints(aws, runtime),
        AGENT_RUNTIME_ARN: STEP4_RUNTIME_ARN,
        JOBS_TABLE_NAME: resources.table_name,
        CALLER_IDENTITY: caller_identity,
        SESSION_ID_SECRET: session_secret or secrets.token_hex(24),
        **job_env(runtime.settings.max_lifetime),
    }


def step5_routes() -> list[tuple[str, str]]:
    """Step 5's operations, from the OpenAPI document its routes produce (commands.openapi)."""
    return openapi_routes(STEP5_OPENAPI)


def step5_front(
    env: dict[str, str], port: int | None = None, api_keys: Sequence[str] = (), **options: object
) -> ApiGatewayProcess:
    """Step 5's Lambda proxy behind the local API Gateway, in a process with the Lambda's environment."""
    return ApiGatewayProcess(
        STEP5_HANDLER,
        STEP5_OPENAPI,
        env=env,
        port=port,
        api_keys=api_keys,
        pythonpath=(str(ROOT),),
        **options,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class Step6Timings:
    """Step 6's template parameters for a local run: short polls and timeouts, so everything settles in
    seconds (the template's defaults are for AWS)."""

    poll_seconds: int = 1
    max_polls: int = 60
    consumer_timeout: int = 3
    visibility_timeout: int = 3
    max_receive_count: int = 3
    batching_window: int = 1
    job_wait_seconds: int = 2
    job_poll_milliseconds: int = 100

    def parameters(self) -> dict[str, str]:
        """The template parameters these timings set."""
        return {
            "PollSeconds": str(self.poll_seconds),
            "MaxPolls": str(self.max_polls),
            "ConsumerTimeoutSeconds": str(self.consumer_timeout),
            "QueueVisibilityTimeout": str(self.visibility_timeout),
            "MaxReceiveCount": str(self.max_receive_count),
            "BatchingWindowSeconds": str(self.batching_window),
            "JobWaitSeconds": str(self.job_wait_seconds),
            "JobPollMilliseconds": str(self.job_poll_milliseconds),
        }


@dataclass
class Step6World:
    """Step 6 running locally: the embedded AWS, step 4 on the data plane, the step's stack and functions."""

    aws: EmbeddedAws
    resources: Resources
    plane: AgentCoreLocal
    events: EventsWorld
    deployment: Deployment

    def output(self, key: str) -> str:
        """A stack output."""
        return self.deployment.outputs[key]

    @property
    def state_machine_arn(self) -> str:
        """The job chain's state machine (the one that executes)."""
        return self.deployment.state_machines["JobStateMachine"]

    @property
    def queue_url(self) -> str:
        """The jobs queue, as the embedded AWS names it."""
        return self.aws.local_queue_url(self.output("JobsQueueUrl"))

    @property
    def dlq_url(self) -> str:
        """The jobs queue's dead-letter queue."""
        return self.aws.local_queue_url(self.output("JobsDlqUrl"))

    def names(self) -> dict[str, Any]:
        """What a caller needs (serve-local --json's `resources`)."""
        return {
            "event_bus_name": self.output("EventBusName"),
            "event_source": self.output("EventSource"),
            "event_detail_type": self.output("EventDetailType"),
            "state_machine_arn": self.state_machine_arn,
            "queue_url": self.queue_url,
            "dlq_url": self.dlq_url,
            "jobs_table": self.resources.table_name,
            "results_table": self.resources.table_name,
            "delivery_dlq_url": self.aws.local_queue_url(self.output("DeliveryDlqUrl")),
            "schedule_name": self.deployment.schedules["ScheduledJob"],
            "runtime_arn": STEP4_RUNTIME_ARN,
        }


@contextlib.contextmanager
def step6_world(
    timings: Step6Timings | None = None,
    plane_port: int = 0,
    lease_seconds: int | None = None,
    start_mode: str = "fork",
    aws: EmbeddedAws | None = None,
    resources: Resources | None = None,
) -> Iterator[Step6World]:
    """Start step 6 locally: the sinks (or the ones given, in the embedded AWS given), step 4 as the runtime
    on a data plane of its own, then the step's template deployed into the embedded AWS with its event
    services running (local_cloud.events), its functions with their template's variables plus the local
    endpoints. Step 4 starts its sessions by fork unless asked: every message and every event is a session."""
    timings = timings or Step6Timings()
    name = f"agentcore-{uuid.uuid4().hex[:12]}"
    with ExitStack() as stack:
        aws = aws or stack.enter_context(EmbeddedAws())
        resources = resources or create_sinks(aws, name)
        plane = stack.enter_context(
            AgentCoreLocal(
                [step4_runtime(aws, resources, lease_seconds=lease_seconds)],
                aws_endpoint=aws.endpoint_url,
                port=plane_port,
                start_mode=start_mode,
            )
        )
        # Step 4 imported before its first session (fork mode), as a V2 runtime is snapshotted when deployed;
        # meanwhile the template is deployed.
        preparing = stack.enter_context(ThreadPoolExecutor(max_workers=1)).submit(
            plane.prepare, STEP4_RUNTIME_ARN
        )
        events = stack.enter_context(EventsWorld(aws, endpoints={"bedrock-agentcore": plane.endpoint_url}))
        refresh_if_stale(STEP6)  # the functions import `shared` from this checkout, not an old staged copy
        parameters = {
            "AgentRuntimeArn": STEP4_RUNTIME_ARN,
            "SinksStackName": resources.stack_name,
            **timings.parameters(),
        }
        deployment = events.deploy(
            f"{name}-events",
            STEP6 / "template.yaml",
            parameters,
            function_env=lambda_endpoints(aws, plane),
            pythonpath=(str(ROOT),),
        )
        preparing.result()
        yield Step6World(aws, resources, plane, events, deployment)


def durable_job_handler() -> Handler:
    """The durable job's handler, imported as Lambda imports handler.handler, `shared` from this checkout."""
    refresh_if_stale(DURABLE_JOB)
    module = load_module(DURABLE_JOB / "handler.py", DURABLE_JOB_MODULE, roots=(ROOT,))
    return module.handler  # type: ignore[no-any-return]


def durable_job_env(aws: EmbeddedAws, resources: Resources) -> dict[str, str]:
    """The durable job's environment, as its template sets it, on the embedded AWS and the step 4 table."""
    return {**aws.env(), DYNAMODB_TABLE_NAME: resources.table_name}


def run_durable_job(
    aws: EmbeddedAws, resources: Resources, payload: object, name: str = "durable-job", timeout: int = 60
) -> DurableRun:
    """Run one durable job to its end with the durable SDK's runner (time skipped) on the embedded AWS."""
    handler = durable_job_handler()
    reset_clients()  # the handler's clients bind to the environment of the run
    try:
        return run_execution(handler, payload, name, timeout, durable_job_env(aws, resources))
    finally:
        reset_clients()
