"""Where moto 5.2.5 stops short of the event services, patched in-process (each patch idempotent, each says
why). They act on the embedded AWS in this process (a ThreadedMotoServer): a `moto_server` in another
process would not see them.

- Lambda: moto runs a function's code in Docker; here an invocation goes to the function's local execution
  environment when one is routed (`route_function`), and an exception escaping a handler is reported as
  the service does (`X-Amz-Function-Error: Unhandled`, not moto's `Handled`).
- EventBridge: moto delivers to SQS, Logs, buses and API destinations only (a Step Functions target raises
  NotImplementedError, so PutEvents answers 500), ignores a rule's DISABLED state, and renders an
  InputTransformer's string values without their quotes. Here Step Functions targets start an execution
  with the input EventBridge would send; other targets stay moto's.
- Step Functions: an execution started without a name gets a UUID (moto names it `None`, so the second
  unnamed start fails); `$$.State.EnteredTime` has the service's format (`...T20:14:13.192Z`, moto writes
  Python's isoformat with microseconds and `+00:00`); timestamp comparisons accept RFC 3339 fractional
  seconds (moto's accept whole seconds only, so a Choice on a millisecond timestamp was silently false).
- SQS event source mappings: moto invokes the function inside SendMessage, once per message, and ignores
  batchItemFailures; here a mapping is left to the local cloud's own poller (`local_cloud.events.pollers`),
  and creating one checks the function's timeout against the queue's visibility timeout, as Lambda does.
- CloudFormation: `Ref` of an AWS::Events::EventBus returns its name (moto returned the object).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "Delivery",
    "Invocation",
    "deliveries",
    "install",
    "route_function",
    "unroute_function",
]


@dataclass(frozen=True)
class Invocation:
    """What a function's execution environment answered: the payload, whether the handler failed, its log."""

    payload: bytes
    errored: bool
    log: str = ""


@dataclass(frozen=True)
class Delivery:
    """One event EventBridge handed to a Step Functions target (or failed to)."""

    rule_arn: str
    target_id: str
    event_id: str
    execution_arn: str | None
    error: str | None = None


_lock = threading.Lock()
_routes: dict[str, Callable[[bytes], Invocation]] = {}
_deliveries: list[Delivery] = []
# The service's timestamps: RFC 3339 with an uppercase T and Z, optional fractional seconds.
_RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")


def route_function(function_arn: str, invoke: Callable[[bytes], Invocation]) -> None:
    """Run a function's invocations with `invoke` (its execution environment) instead of moto's Docker."""
    with _lock:
        _routes[_unqualified(function_arn)] = invoke


def unroute_function(function_arn: str) -> None:
    """Stop routing a function's invocations."""
    with _lock:
        _routes.pop(_unqualified(function_arn), None)


def deliveries() -> list[Delivery]:
    """The Step Functions deliveries so far (a copy)."""
    with _lock:
        return list(_deliveries)


def _unqualified(arn: str) -> str:
    # arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
    return ":".join(arn.split(":")[:7])


def install() -> None:
    """Install every patch of this module (idempotent)."""
    _route_lambda_invocations()
    _deliver_to_step_functions()
    _name_executions()
    _service_timestamps()
    _leave_sqs_mappings_to_the_poller()
    _event_bus_ref()


def _patched(owner: Any, flag: str) -> bool:
    if getattr(owner, flag, False):
        return True
    setattr(owner, flag, True)
    return False


# -- Lambda --------------------------------------------------------------------------------------------


def _route_lambda_invocations() -> None:
    import base64

    from moto.awslambda.models import LambdaFunction

    if _patched(LambdaFunction, "_local_cloud_routed"):
        return
    moto_invoke = LambdaFunction.invoke

    def invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> str | bytes:
        with _lock:
            route = _routes.get(_unqualified(self.function_arn))
        if route is None:
            return moto_invoke(self, body, request_headers, response_headers)
        raw = body.encode("utf-8") if isinstance(body, str) else (body or b"{}")
        outcome = route(raw or b"{}")
        if outcome.errored:
            # Lambda's Python runtime: an exception escaping the handler is an unhandled function error.
            response_headers["x-amz-function-error"] = "Unhandled"
        if request_headers.get("x-amz-log-type") == "Tail":
            # The last 4 KB of the invocation's log, as LogType=Tail returns it.
            response_headers["x-amz-log-result"] = base64.b64encode(outcome.log.encode()[-4096:]).decode()
        return outcome.payload

    LambdaFunction.invoke = invoke  # type: ignore[method-assign]


# -- EventBridge -> Step Functions ---------------------------------------------------------------------


def _deliver_to_step_functions() -> None:
    from moto.events import models as events_models
    from moto.stepfunctions.responses import get_backend
    from moto.utilities.arns import parse_arn

    from .targets import target_input

    rule_class: Any = events_models.Rule
    if _patched(rule_class, "_local_cloud_delivers"):
        return
    moto_send = rule_class.send_to_targets

    def send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
        if self.state != "ENABLED" or not self.event_pattern.matches_event(original_event):
            return  # a DISABLED rule delivers nothing (moto's does)
        ours = [t for t in self.targets if parse_arn(t["Arn"]).service == "states"]
        for target in ours:
            arn = parse_arn(target["Arn"])
            try:
                payload = target_input(target, original_event, self.arn, self.name)
                # EventBridge gives no name: StartExecution then names the execution with a UUID.
                execution = get_backend(arn.account, arn.region).start_execution(
                    target["Arn"], str(uuid.uuid4()), payload
                )
                delivery = Delivery(self.arn, target["Id"], original_event["id"], execution.execution_arn)
            except Exception as exc:  # a failed delivery never fails PutEvents: it is recorded
                delivery = Delivery(self.arn, target["Id"], original_event["id"], None, repr(exc))
                _dead_letter(target, original_event, self.arn, exc)
            with _lock:
                _deliveries.append(delivery)
        rest = [t for t in self.targets if t not in ours]
        if rest:
            saved = self.targets
            try:
                self.targets = rest
                moto_send(self, original_event, transform_input)
            finally:
                self.targets = saved

    rule_class.send_to_targets = send_to_targets


def _dead_letter(target: dict[str, Any], event: dict[str, Any], rule_arn: str, error: Exception) -> None:
    """Send an undeliverable event to the target's dead-letter queue with EventBridge's attributes."""
    from moto.sqs.models import sqs_backends
    from moto.utilities.arns import parse_arn

    from .targets import envelope

    queue = (target.get("DeadLetterConfig") or {}).get("Arn")
    if not queue:
        return
    where = parse_arn(queue)
    attributes = {
        "RULE_ARN": rule_arn,
        "TARGET_ARN": target["Arn"],
        "ERROR_CODE": type(error).__name__,
        "ERROR_MESSAGE": str(error)[:1000],
    }
    sqs_backends[where.account][where.region].send_message(
        where.resource_id,
        json.dumps(envelope(event)),
        message_attributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
    )


# -- Step Functions ------------------------------------------------------------------------------------


def _name_executions() -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    if _patched(StepFunctionsParserBackend, "_local_cloud_names"):
        return
    moto_start = StepFunctionsParserBackend.start_execution

    def start_execution(
        self: Any, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        return moto_start(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]


def _service_timestamps() -> None:
    from moto.stepfunctions.parser.asl.component.state import state
    from moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations import (
        is_operator,
    )

    state_module: Any = state
    if _patched(state_module, "_local_cloud_timestamps"):
        return
    moto_state_data = state_module.StateData

    def state_data(**fields: Any) -> Any:
        entered = fields.get("EnteredTime")
        if isinstance(entered, str):
            moment = datetime.fromisoformat(entered).astimezone(UTC)
            fields["EnteredTime"] = (
                moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
            )
        return moto_state_data(**fields)

    def string_to_timestamp(string: str) -> datetime | None:
        if not isinstance(string, str) or not _RFC3339_UTC.match(string):
            return None
        return datetime.fromisoformat(string.replace("Z", "+00:00")).replace(tzinfo=None)

    state_module.StateData = state_data
    is_operator.IsTimestamp.string_to_timestamp = staticmethod(string_to_timestamp)  # type: ignore[method-assign]


# -- SQS event source mappings -------------------------------------------------------------------------


def _leave_sqs_mappings_to_the_poller() -> None:
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.models import LambdaBackend
    from moto.sqs.models import sqs_backends

    if _patched(LambdaBackend, "_local_cloud_mappings"):
        return
    moto_create = LambdaBackend.create_event_source_mapping

    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        queues = sqs_backends[self.account_id][self.region_name].queues.values()
        queue: Any = next((q for q in queues if q.queue_arn == spec.get("EventSourceArn")), None)
        if queue is not None and spec.get("FunctionName"):
            function = self.get_function(spec["FunctionName"])
            if int(function.timeout or 3) > int(queue.visibility_timeout):
                # Lambda refuses a mapping whose function could outlive the message's invisibility.
                raise InvalidParameterValueException(
                    f"Queue visibility timeout: {queue.visibility_timeout} seconds is less than Function "
                    f"timeout: {function.timeout} seconds"
                )
        mapping = moto_create(self, spec)
        if queue is not None:
            # moto would invoke the function inside SendMessage; the local poller runs the mapping instead.
            queue.lambda_event_source_mappings.pop(mapping.function_arn, None)
        return mapping

    LambdaBackend.create_event_source_mapping = create_event_source_mapping  # type: ignore[method-assign]


# -- CloudFormation ------------------------------------------------------------------------------------


def _event_bus_ref() -> None:
    from moto.events.models import EventBus

    if _patched(EventBus, "_local_cloud_ref"):
        return
    EventBus.physical_resource_id = property(lambda self: self.name)  # type: ignore[attr-defined]
