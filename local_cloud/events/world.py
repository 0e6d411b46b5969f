"""EventsWorld: an embedded AWS whose event services run. State machines execute, Lambda functions run their
handlers in local execution environments, EventBridge rules start executions, SQS event source mappings
are polled as Lambda polls them, and schedules can be fired on demand.

`deploy(stack, template.yaml, ...)` creates everything a (SAM) template defines from the template itself:
SAM is translated offline, CloudFormation in moto creates what it models, and the rest is created by API
from the same resolved properties (moto's own intrinsic resolution over the stack's resources):

- AWS::StepFunctions::StateMachine: moto's CloudFormation puts it in the Step Functions backend that does
  not execute and ignores DefinitionSubstitutions, so it is created again, by name, in the one that does;
- AWS::Scheduler::Schedule and AWS::SQS::QueuePolicy: moto's CloudFormation does not model them.

The patches, moto's configuration and MOTO_PORT (the port Step Functions' interpreter calls) are
process-wide, and so are moto's backends: worlds started in one process share them. Execution stays on and
MOTO_PORT names a live server while any world runs; the last one to stop puts both back.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from botocore import xform_name
from botocore.config import Config

from .. import http
from ..aws import EmbeddedAws
from ..aws.cfn import PACKAGED_CODE_URI, load_template, translate_sam
from . import patches
from .environments import FunctionEnvironment, FunctionSpec
from .pollers import SqsPoller
from .scheduler import Fired, TargetInvalid, UniversalTarget, fire, sample_context, validate_target

__all__ = ["Deployment", "EventsWorld"]

# What moto's CloudFormation does not create (or not where it runs), created by API after the stack.
BY_API = ("AWS::StepFunctions::StateMachine", "AWS::Scheduler::Schedule", "AWS::SQS::QueuePolicy")
# The worlds running in this process (see the module's docstring), and MOTO_PORT as it was before them.
_running: list[EventsWorld] = []
_port_before: list[str | None] = []
_running_lock = threading.Lock()
# Scheduler retries a target itself: its calls get no retries of botocore's.
_TARGET_CALLS = Config(retries={"total_max_attempts": 1}, connect_timeout=3, read_timeout=60)


@dataclass
class Deployment:
    """What one deploy created: the stack's outputs, and what runs locally."""

    stack_name: str
    outputs: dict[str, str]
    physical: dict[str, str]
    state_machines: dict[str, str] = field(default_factory=dict)  # logical id -> ARN
    schedules: dict[str, str] = field(default_factory=dict)  # logical id -> name
    functions: dict[str, FunctionEnvironment] = field(default_factory=dict)  # logical id -> environment
    pollers: list[SqsPoller] = field(default_factory=list)


def _function_code(template: Mapping[str, Any], folder: Path) -> dict[str, tuple[Path, str]]:
    """For each SAM function with local code: (its code folder, its handler as FILE.py:FUNCTION)."""
    defaults = template.get("Globals", {}).get("Function", {})
    found = {}
    for logical, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties", {})
        code, handler = (
            props.get("CodeUri", defaults.get("CodeUri")),
            props.get("Handler", defaults.get("Handler")),
        )
        if not isinstance(code, str) or code.startswith("s3://") or not isinstance(handler, str):
            continue
        module, _, function = handler.rpartition(".")
        code_dir = (folder / code).resolve()
        found[logical] = (code_dir, f"{code_dir / (module.replace('.', '/') + '.py')}:{function}")
    return found


def _stack_resources(stack_name: str) -> Any:
    """moto's resource map of a stack: what its own intrinsic resolution reads."""
    from moto.cloudformation.models import cloudformation_backends

    for by_region in cloudformation_backends.values():
        for backend in by_region.values():
            for stack in backend.stacks.values():
                if stack.name == stack_name and stack.status != "DELETE_COMPLETE":
                    return stack.resource_map
    raise LookupError(f"no stack {stack_name}")


class EventsWorld:
    """Makes an embedded AWS's event services run (a context manager); deploy templates into it."""

    def __init__(
        self,
        aws: EmbeddedAws,
        endpoints: Mapping[str, str] | None = None,
        long_poll_seconds: int = 1,
        schedule_backoff_seconds: float = 0.2,
    ) -> None:
        self.aws = aws
        # Where a schedule's target service is, when not the embedded AWS (bedrock-agentcore: a data plane).
        self.endpoints = dict(endpoints or {})
        self.long_poll_seconds = long_poll_seconds
        self.schedule_backoff_seconds = schedule_backoff_seconds
        self.deployments: list[Deployment] = []
        self._started = False

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> EventsWorld:
        """Install the patches, point Step Functions' interpreter at the embedded AWS, turn execution on."""
        patches.install()
        # The interpreter logs every handled error of an execution at ERROR: the execution's history has them.
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        with _running_lock:
            if not _running:
                _port_before[:] = [os.environ.get("MOTO_PORT")]
            _running.append(self)
            # The interpreter calls Lambda and DynamoDB with its own clients at http://localhost:$MOTO_PORT.
            os.environ["MOTO_PORT"] = self.aws.endpoint_url.rsplit(":", 1)[1]
        self._execute_state_machines(True)
        self._started = True
        return self

    def stop(self) -> None:
        """Stop the pollers, the executions still running, the environments; undo what start() set."""
        for deployment in self.deployments:
            for poller in deployment.pollers:
                poller.stop()
            self._stop_executions(deployment)
            for environment in deployment.functions.values():
                patches.unroute_function(environment.spec.arn)
                environment.stop()
        self.deployments.clear()
        if not self._started:
            return
        self._started = False
        with _running_lock:
            _running.remove(self)
            others = list(_running)
            if others:
                os.environ["MOTO_PORT"] = others[-1].aws.endpoint_url.rsplit(":", 1)[1]
            elif _port_before and _port_before[0] is not None:
                os.environ["MOTO_PORT"] = str(_port_before[0])
            else:
                os.environ.pop("MOTO_PORT", None)
        if not others:
            self._execute_state_machines(False)

    def __enter__(self) -> EventsWorld:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _execute_state_machines(self, on: bool) -> None:
        # moto's configuration API; state machines created before it is on are in the other backend.
        status, _, _ = http.call(
            f"{self.aws.endpoint_url}/moto-api/config", {"stepfunctions": {"execute_state_machine": on}}
        )
        if status >= 300:
            raise RuntimeError(f"moto refused its Step Functions configuration (HTTP {status})")

    def _stop_executions(self, deployment: Deployment) -> None:
        from botocore.exceptions import ClientError

        sfn = self.aws.client("stepfunctions")
        for arn in deployment.state_machines.values():
            try:
                running = sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
                for execution in running:
                    sfn.stop_execution(executionArn=execution["executionArn"], cause="the world stopped")
            except ClientError:
                continue  # nothing left to stop there; the world's processes are stopped all the same

    # -- deploy ------------------------------------------------------------------------------------

    def deploy(
        self,
        stack_name: str,
        template_path: Path,
        parameters: Mapping[str, str] | None = None,
        function_env: Mapping[str, str] | None = None,
        pythonpath: Sequence[str] = (),
        warm: bool = False,
    ) -> Deployment:
        """Create a template's stack and run it: its functions get their configured variables plus
        `function_env` (the local endpoints, credentials), `pythonpath` first on their import path. Each
        function's environment starts on its first invocation, or now with `warm`."""
        folder = template_path.resolve().parent
        source = load_template(template_path)
        code = _function_code(source, folder)
        self._upload_code(folder)
        params = {k: str(v) for k, v in (parameters or {}).items()}
        translated = translate_sam(source, self.aws.region, params, base_dir=folder)
        outputs = self.aws.deploy_stack(stack_name, translated, params, ("CAPABILITY_IAM",))
        cfn = self.aws.client("cloudformation")
        physical = {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
        }
        deployment = Deployment(stack_name, outputs, physical)
        self.deployments.append(deployment)
        resolved = _stack_resources(stack_name)
        for logical, resource in translated.get("Resources", {}).items():
            if resource.get("Type") in BY_API:
                self._create_by_api(deployment, logical, resource, resolved)
        self._run_functions(deployment, code, function_env or {}, pythonpath, warm)
        return deployment

    def _upload_code(self, folder: Path) -> None:
        """Put the folder's code where the translated template says `sam package` uploaded it."""
        bucket, key = PACKAGED_CODE_URI.removeprefix("s3://").split("/", 1)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*.py")):
                if "shared" not in path.relative_to(folder).parts and "__pycache__" not in path.parts:
                    archive.write(path, path.relative_to(folder).as_posix())
        s3 = self.aws.client("s3")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())

    def _create_by_api(self, deployment: Deployment, logical: str, resource: Any, resolved: Any) -> None:
        from moto.cloudformation.parsing import clean_json

        props = clean_json(resource.get("Properties", {}), resolved)
        kind = resource["Type"]
        if kind == "AWS::StepFunctions::StateMachine":
            deployment.state_machines[logical] = self._state_machine(deployment.physical[logical], props)
        elif kind == "AWS::SQS::QueuePolicy":
            for queue in props["Queues"]:
                self.aws.client("sqs").set_queue_attributes(
                    QueueUrl=self.aws.local_queue_url(queue),
                    Attributes={"Policy": json.dumps(props["PolicyDocument"])},
                )
        elif kind == "AWS::Scheduler::Schedule":
            deployment.schedules[logical] = self._schedule(deployment.stack_name, logical, props)

    def _state_machine(self, stub_arn: str, props: dict[str, Any]) -> str:
        definition = props.get("DefinitionString")
        if definition is None:
            definition = json.dumps(props["Definition"])
        for name, value in (props.get("DefinitionSubstitutions") or {}).items():
            definition = definition.replace("${" + name + "}", str(value))
        created = self.aws.client("stepfunctions").create_state_machine(
            name=stub_arn.rsplit(":", 1)[1],
            definition=definition,
            roleArn=props["RoleArn"],
            type=props.get("StateMachineType", "STANDARD"),
        )
        return str(created["stateMachineArn"])

    def _schedule(self, stack_name: str, logical: str, props: dict[str, Any]) -> str:
        name = str(props.get("Name") or f"{stack_name}-{logical}")[:64]
        group = str(props.get("GroupName") or "default")
        arn = f"arn:aws:scheduler:{self.aws.region}:{self._account()}:schedule/{group}/{name}"
        try:
            # Configuration checked now, as it will render when it fires (moto accepts any target).
            validate_target(props["Target"], sample_context(arn))
        except TargetInvalid as exc:
            raise ValueError(f"schedule {logical}'s target would fail when it fires: {exc}") from exc
        fields = ("ScheduleExpression", "FlexibleTimeWindow", "Target", "State", "Description")
        self.aws.client("scheduler").create_schedule(
            Name=name, GroupName=group, **{key: props[key] for key in fields if key in props}
        )
        return name

    def _account(self) -> str:
        return str(self.aws.client("sts").get_caller_identity()["Account"])

    def _run_functions(
        self,
        deployment: Deployment,
        code: Mapping[str, tuple[Path, str]],
        function_env: Mapping[str, str],
        pythonpath: Sequence[str],
        warm: bool,
    ) -> None:
        lam = self.aws.client("lambda")
        for logical, (code_dir, handler_ref) in code.items():
            config = lam.get_function_configuration(FunctionName=deployment.physical[logical])
            spec = FunctionSpec(
                name=config["FunctionName"],
                arn=config["FunctionArn"],
                handler_ref=handler_ref,
                code_dir=code_dir,
                variables={
                    k: str(v) for k, v in (config.get("Environment") or {}).get("Variables", {}).items()
                },
                timeout=int(config.get("Timeout") or 3),
                memory_mb=int(config.get("MemorySize") or 128),
                region=self.aws.region,
            )
            deployment.functions[logical] = FunctionEnvironment(spec, function_env, pythonpath)
        if warm:
            # Each environment imports its handler (the init phase) in its own process: start them together.
            with ThreadPoolExecutor(max_workers=max(1, len(deployment.functions))) as pool:
                list(pool.map(lambda environment: environment.start(), deployment.functions.values()))
        for environment in deployment.functions.values():
            patches.route_function(environment.spec.arn, environment.invoke)
            for mapping in lam.list_event_source_mappings(FunctionName=environment.spec.name)[
                "EventSourceMappings"
            ]:
                if ":sqs:" in mapping["EventSourceArn"] and mapping.get("State") == "Enabled":
                    poller = SqsPoller(
                        self.aws.new_client("sqs"), self._invoker(environment.spec.timeout), mapping,
                        self.long_poll_seconds,
                    )  # fmt: skip
                    poller.start()
                    deployment.pollers.append(poller)

    def _invoker(self, timeout: int) -> Any:
        # Lambda's poller invokes once per batch and never retries the call itself (the messages come back).
        config = Config(retries={"total_max_attempts": 1}, connect_timeout=3, read_timeout=timeout + 10)
        return self.aws.new_client("lambda", config)

    # -- schedules and deliveries ------------------------------------------------------------------

    def fire_schedule(self, name: str, group: str = "default") -> Fired:
        """Fire a schedule now as EventBridge Scheduler would: render, check, call, retry, dead-letter."""
        schedule = self.aws.client("scheduler").get_schedule(Name=name, GroupName=group)

        def call(target: UniversalTarget) -> None:
            client = self.aws.new_client(target.service, _TARGET_CALLS, self.endpoints.get(target.service))
            answer = getattr(client, xform_name(target.operation))(**target.params)
            for value in answer.values():
                if hasattr(value, "read"):
                    value.read()  # finish the call; Scheduler discards the answer
                    value.close()

        def dead_letter(queue_arn: str, body: str, attributes: dict[str, str]) -> None:
            self.aws.client("sqs").send_message(
                QueueUrl=self.aws.local_queue_url(queue_arn),
                MessageBody=body,
                MessageAttributes={
                    k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()
                },
            )

        return fire(schedule, call, dead_letter, self.schedule_backoff_seconds)

    @staticmethod
    def deliveries() -> list[patches.Delivery]:
        """What EventBridge handed to Step Functions targets so far."""
        return patches.deliveries()

    def functions(self) -> Iterator[FunctionEnvironment]:
        """Every running execution environment."""
        for deployment in self.deployments:
            yield from deployment.functions.values()
