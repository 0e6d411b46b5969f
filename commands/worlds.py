"""The local world each step runs in: its resources in the embedded AWS, its runtime on the local AgentCore
data plane, its front (the local API Gateway for step 5), wired as a deployment would wire them.

`serve-local`, `make demo`, the tests and the benchmarks start steps through these, so each step's
wiring is written once.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from local_cloud.agentcore import AgentCoreLocal, RuntimeSpec, folder_runtime, runtime_arn
from local_cloud.apigw import ApiGatewayProcess, openapi_routes
from local_cloud.aws import EmbeddedAws
from local_cloud.microvms import ImageSpec, folder_image
from shared.apigw.settings import CALLER_IDENTITY, JOBS_TABLE_NAME, SESSION_ID_SECRET
from shared.jobs.settings import JOB_LEASE_SECONDS, RUNTIME_MAX_LIFETIME_SECONDS
from shared.runtime.settings import AGENT_RUNTIME_ARN
from shared.sinks.settings import DYNAMODB_TABLE_NAME, S3_BUCKET_NAME, SQS_QUEUE_URL

from .stage import refresh_if_stale
from .steps import ROOT

__all__ = [
    "SINKS_TEMPLATE",
    "STEP4_RUNTIME_ARN",
    "STEP4_RUNTIME_NAME",
    "STEP5",
    "STEP5_OPENAPI",
    "Resources",
    "create_sinks",
    "job_env",
    "lambda_environment",
    "step4_runtime",
    "step5_front",
    "step5_routes",
    "step_image",
    "step_runtime",
]

# The one definition of the sinks, shared with the AWS deployment (see infra/README.md).
SINKS_TEMPLATE = ROOT / "infra" / "sinks.yaml"
STEP5 = ROOT / "5_api_gateway_proxy"
STEP5_OPENAPI = STEP5 / "openapi.json"
STEP5_HANDLER = f"{STEP5 / 'lambda_proxy.py'}:handler"
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
    sqs = aws.client("sqs")

    def local_url(url: str) -> str:
        # The stack reports AWS-style queue URLs; ask the emulator for its own, like create_queue did.
        return str(sqs.get_queue_url(QueueName=url.rsplit("/", 1)[-1])["QueueUrl"])

    return Resources(
        queue_url=local_url(outputs["SqsQueueUrl"]),
        fifo_queue_url=local_url(outputs["SqsFifoQueueUrl"]),
        bucket=outputs["S3BucketName"],
        table_name=outputs["DynamoDbTableName"],
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
        **{k: v for k, v in aws.env().items() if k != "AWS_ENDPOINT_URL"},
        **runtime.env(),
        "AWS_ENDPOINT_URL_DYNAMODB": aws.endpoint_url,
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
