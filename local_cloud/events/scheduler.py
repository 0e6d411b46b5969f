"""EventBridge Scheduler's universal targets (`arn:aws:scheduler:::aws-sdk:<service>:<apiAction>`), which moto
stores and never fires: checked as configuration, and fired on demand.

What the Scheduler guide says (managing-targets-universal.html, managing-schedule-context-attributes.html,
configuring-schedule-dlq.html, API_RetryPolicy.html; read 2026-12-02): the Input is the target API's request
parameters as JSON; read-only actions (get*, describe*, list*, ...) are not supported; `<aws.scheduler.*>`
context attributes are replaced in the Input when the schedule fires; a failed call is retried per the
RetryPolicy (MaximumRetryAttempts 0 to 185, MaximumEventAgeInSeconds 60 to 86,400), then sent to the
dead-letter queue; the call's response is not used. Not documented, taken from public code that calls
InvokeAgentRuntime this way (and *unverified* against AWS): the parameter names are the API's PascalCase
member names and a blob (`Payload`) is given as its text. `validate_target` applies botocore's own model
and validator to the Input as it will be rendered, so a RuntimeSessionId that renders shorter than its
33-character minimum is found before any schedule fires.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "READ_ONLY_PREFIXES",
    "Fired",
    "TargetInvalid",
    "UniversalTarget",
    "fire",
    "render",
    "validate_target",
]

UNIVERSAL_ARN = re.compile(r"^arn:aws[a-z-]*:scheduler:::aws-sdk:([a-z0-9]+):([a-z][A-Za-z0-9]*)$")
# The Scheduler guide's list of unsupported (read-only) action prefixes.
READ_ONLY_PREFIXES = (
    "get", "describe", "list", "poll", "receive", "search", "scan", "query", "select", "read", "lookup",
    "discover", "validate", "batchGet", "batchDescribe", "batchRead", "transactGet", "adminGet", "adminList",
    "testMigration", "retrieve", "testConnection", "translateDocument", "isAuthorized", "invokeModel",
)  # fmt: skip
CONTEXT_ATTRIBUTES = (
    "aws.scheduler.schedule-arn",
    "aws.scheduler.scheduled-time",
    "aws.scheduler.execution-id",
    "aws.scheduler.attempt-number",
)
# The service's defaults for a target without a RetryPolicy.
DEFAULT_RETRIES = {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86_400}


class TargetInvalid(ValueError):
    """A universal target Scheduler could not call."""


@dataclass(frozen=True)
class UniversalTarget:
    """A validated call: the botocore service and operation, and its parameters."""

    service: str
    operation: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Fired:
    """One firing: how many attempts it took, and the error that sent it to the dead-letter queue."""

    schedule: str
    attempts: int
    ok: bool
    error: tuple[str, str] | None = None
    dead_lettered: bool = False


def render(text: str, context: Mapping[str, str]) -> str:
    """The Input with the `<aws.scheduler.*>` context attributes replaced."""
    for name in CONTEXT_ATTRIBUTES:
        if name in context:
            text = text.replace(f"<{name}>", context[name])
    return text


def sample_context(schedule_arn: str, attempt: int = 1, now: datetime | None = None) -> dict[str, str]:
    """Context attributes as a firing has them (an execution id of the documented example's length)."""
    moment = now or datetime.now(UTC)
    return {
        "aws.scheduler.schedule-arn": schedule_arn,
        "aws.scheduler.scheduled-time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws.scheduler.execution-id": secrets.token_hex(8),
        "aws.scheduler.attempt-number": str(attempt),
    }


def _service_name(sdk_id: str) -> str:
    import botocore.session

    for name in botocore.session.get_session().get_available_services():
        if name.replace("-", "") == sdk_id:
            return str(name)
    raise TargetInvalid(f"unknown AWS SDK service identifier {sdk_id!r}")


def _parameters(value: Any, shape: Any, path: str) -> Any:
    """Scheduler's Input (PascalCase member names, blobs as text) as botocore parameters."""
    if shape.type_name == "structure":
        if not isinstance(value, dict):
            raise TargetInvalid(f"{path or 'Input'}: expected an object")
        by_name = {member[0].upper() + member[1:]: member for member in shape.members}
        unknown = sorted(set(value) - set(by_name))
        missing = sorted(n for n, m in by_name.items() if m in shape.required_members and n not in value)
        if unknown or missing:
            problems = [f"missing {', '.join(missing)}"] if missing else []
            problems += (
                [f"unknown {', '.join(unknown)} (names are {', '.join(sorted(by_name))})"] if unknown else []
            )
            raise TargetInvalid(f"{path or 'Input'}: " + "; ".join(problems))
        return {
            by_name[k]: _parameters(v, shape.members[by_name[k]], f"{path}.{k}") for k, v in value.items()
        }
    if shape.type_name == "list" and isinstance(value, list):
        return [_parameters(v, shape.member, f"{path}[{n}]") for n, v in enumerate(value)]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _parameters(v, shape.value, f"{path}.{k}") for k, v in value.items()}
    if shape.type_name == "blob":
        if not isinstance(value, str):
            raise TargetInvalid(f"{path}: give a blob as text (e.g. a JSON document as a string)")
        return value.encode("utf-8")
    return value


def validate_target(target: Mapping[str, Any], context: Mapping[str, str]) -> UniversalTarget:
    """Check a schedule's target as it renders with `context`; raise TargetInvalid saying what is wrong."""
    import botocore.session
    from botocore.validate import ParamValidator

    found = UNIVERSAL_ARN.match(str(target.get("Arn", "")))
    if not found:
        raise TargetInvalid(f"not a universal target ARN: {target.get('Arn')!r}")
    sdk_id, action = found.groups()
    if action.startswith(READ_ONLY_PREFIXES):
        raise TargetInvalid(f"{action} is read-only: Scheduler does not call read-only actions")
    if not target.get("RoleArn"):
        raise TargetInvalid("the target has no RoleArn")
    service = _service_name(sdk_id)
    model = botocore.session.get_session().get_service_model(service)
    operation = next((op for op in model.operation_names if op.lower() == action.lower()), None)
    if operation is None:
        raise TargetInvalid(f"{service} has no operation {action}")
    try:
        document = json.loads(render(str(target.get("Input", "{}")), context))
    except ValueError as exc:
        raise TargetInvalid(f"the Input is not JSON once rendered: {exc}") from None
    shape = model.operation_model(operation).input_shape
    params = _parameters(document, shape, "")
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        raise TargetInvalid(" ".join(report.generate_report().split()))
    return UniversalTarget(service, operation, params)


def fire(
    schedule: Mapping[str, Any],
    call: Callable[[UniversalTarget], None],
    dead_letter: Callable[[str, str, dict[str, str]], None],
    backoff_seconds: float = 0.2,
) -> Fired:
    """Fire a schedule now (GetSchedule's answer): render, validate, call; retry, then dead-letter.

    The call's answer is discarded, as Scheduler discards it. Backoff is exponential from `backoff_seconds`
    (the service's own intervals are not documented); an invalid target is not retried.
    """
    target = schedule["Target"]
    policy = {**DEFAULT_RETRIES, **(target.get("RetryPolicy") or {})}
    started = time.monotonic()
    scheduled = datetime.now(UTC)
    attempt, error = 0, ("", "")
    while True:
        attempt += 1
        context = sample_context(schedule["Arn"], attempt, scheduled)
        try:
            call(validate_target(target, context))
            return Fired(schedule["Name"], attempt, True)
        except TargetInvalid as exc:
            error = ("ValidationException", str(exc))
            break
        except Exception as exc:  # any failed call is retried as the policy allows
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")  # a ClientError's own code
            error = (str(code or type(exc).__name__), str(exc))
        too_old = time.monotonic() - started > int(policy["MaximumEventAgeInSeconds"])
        if attempt > int(policy["MaximumRetryAttempts"]) or too_old:
            break
        time.sleep(backoff_seconds * 2 ** (attempt - 1))
    queue = (target.get("DeadLetterConfig") or {}).get("Arn")
    if queue:
        # The service's dead-letter event holds "invocation details and any response received" in a shape
        # the guide does not spell out; here the body is the Input and the details are message attributes.
        dead_letter(
            queue,
            str(target.get("Input", "{}")),
            {
                "ERROR_CODE": error[0],
                "ERROR_MESSAGE": error[1][:1000],
                "ATTEMPTS": str(attempt),
                "TARGET_ARN": str(target["Arn"]),
                "SCHEDULE_ARN": str(schedule["Arn"]),
            },
        )
    return Fired(schedule["Name"], attempt, False, error, bool(queue))
