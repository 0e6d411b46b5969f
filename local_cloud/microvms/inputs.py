"""What the operations take, checked at the service's bounds (botocore does not check most maxima): each
refusal is a ValidationException naming the field, what is wrong and what is expected.

Bounds from the model (lambda-microvms 2025-09-09) and, where the model has none, the developer guide:
maxIdleDurationSeconds 60 to 28,800 (the model: min 60; the guide: "Maximum: 28,800"),
suspendedDurationSeconds >= 0, maximumDurationInSeconds 1 to 28,800, runHookPayload at most 4,096
characters (the model's constraint; its own documentation and the guide say 16,384 bytes, so the smaller
is enforced), expirationInMinutes 1 to 60 (the model: min 1; its documentation: "Maximum: 60 minutes"),
allowedPorts at least one of `{port}`, `{range: {startPort, endPort}}` or `{allPorts: {}}`, ListMicrovms'
maxResults 1 to 50.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .wire import validation

__all__ = ["IdlePolicy", "RunRequest", "parse_list_query", "parse_run_request", "parse_token_request"]

MAX_DURATION_SECONDS = 28_800
# Not documented (unverified): a MicroVM run without maximumDurationInSeconds lives at most this long.
DEFAULT_MAX_DURATION_SECONDS = MAX_DURATION_SECONDS
MIN_IDLE_SECONDS = 60
MAX_IDLE_SECONDS = 28_800
MAX_RUN_HOOK_PAYLOAD = 4096
MAX_TOKEN_MINUTES = 60
MAX_LIST_RESULTS = 50
ROLE_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::[0-9]{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
KMS_KEY = re.compile(
    r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[a-zA-Z0-9:/_-]+|alias/[a-zA-Z0-9:/_-]+|[a-zA-Z0-9-]+)$"
)
NO_WHITESPACE = re.compile(r"^[^\s]+$")
LOG_GROUP = re.compile(r"^[a-zA-Z0-9_\-/.#]+$")
LOG_STREAM = re.compile(r"^[^:*]*$")


@dataclass(frozen=True)
class IdlePolicy:
    """A MicroVM's idle policy as given (seconds at the service's scale)."""

    max_idle_seconds: int
    suspended_seconds: int
    auto_resume: bool

    def wire(self) -> dict[str, Any]:
        """As RunMicrovm and GetMicrovm answer it."""
        return {
            "maxIdleDurationSeconds": self.max_idle_seconds,
            "suspendedDurationSeconds": self.suspended_seconds,
            "autoResumeEnabled": self.auto_resume,
        }


@dataclass(frozen=True)
class RunRequest:
    """A RunMicrovm request that passed the service's checks."""

    image_identifier: str
    image_version: str | None
    idle_policy: IdlePolicy | None
    max_duration_seconds: int
    run_hook_payload: str | None
    echoed: Mapping[str, Any]
    client_token: str | None

    def fingerprint(self) -> tuple[Any, ...]:
        """What a repeated clientToken must repeat (everything but the token)."""
        return (
            self.image_identifier,
            self.image_version,
            self.idle_policy,
            self.max_duration_seconds,
            self.run_hook_payload,
            repr(sorted(self.echoed.items())),
        )


def _int(doc: Mapping[str, Any], key: str, low: int, high: int | None, where: str = "") -> int:
    value = doc[key]
    name = f"{where}{key}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise validation(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise validation(f"{name} must be {bounds}, got {value}")
    return value


def _string(
    doc: Mapping[str, Any], key: str, low: int, high: int, pattern: re.Pattern[str] | None = None
) -> str:
    value = doc[key]
    if not isinstance(value, str):
        raise validation(f"{key} must be a string, got {value!r}")
    if not low <= len(value) <= high:
        raise validation(f"{key} must be {low} to {high} characters, got {len(value)}")
    if pattern is not None and not pattern.match(value):
        raise validation(f"{key} {value!r} does not match the pattern {pattern.pattern}")
    return value


def _idle_policy(raw: Any) -> IdlePolicy | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise validation("idlePolicy must be an object")
    missing = [
        k for k in ("maxIdleDurationSeconds", "suspendedDurationSeconds", "autoResumeEnabled") if k not in raw
    ]
    if missing:
        raise validation(f"idlePolicy needs all of maxIdleDurationSeconds, suspendedDurationSeconds and "
                         f"autoResumeEnabled; missing {', '.join(missing)}")  # fmt: skip
    if not isinstance(raw["autoResumeEnabled"], bool):
        raise validation(
            f"idlePolicy.autoResumeEnabled must be true or false, got {raw['autoResumeEnabled']!r}"
        )
    return IdlePolicy(
        _int(raw, "maxIdleDurationSeconds", MIN_IDLE_SECONDS, MAX_IDLE_SECONDS, "idlePolicy."),
        _int(raw, "suspendedDurationSeconds", 0, None, "idlePolicy."),
        bool(raw["autoResumeEnabled"]),
    )


def _connectors(doc: Mapping[str, Any], key: str) -> list[str]:
    value = doc[key]
    if not isinstance(value, list) or len(value) > 10:
        raise validation(f"{key} must be a list of at most 10 connector ARNs")
    for item in value:
        if not isinstance(item, str) or not 1 <= len(item) <= 2048:
            raise validation(f"{key} holds connector ARNs of 1 to 2048 characters, got {item!r}")
    return list(value)


def _logging(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping) or len(raw) != 1 or next(iter(raw)) not in ("disabled", "cloudWatch"):
        raise validation(
            'logging is exactly one of {"disabled": {}} or {"cloudWatch": {"logGroup", "logStream"}}'
        )
    cloud_watch = raw.get("cloudWatch")
    if cloud_watch is not None:
        if not isinstance(cloud_watch, Mapping):
            raise validation("logging.cloudWatch must be an object")
        for key, pattern in (("logGroup", LOG_GROUP), ("logStream", LOG_STREAM)):
            if key in cloud_watch:
                value = cloud_watch[key]
                if not isinstance(value, str) or not 1 <= len(value) <= 512 or not pattern.match(value):
                    raise validation(f"logging.cloudWatch.{key} must be 1 to 512 characters matching "
                                     f"{pattern.pattern}, got {value!r}")  # fmt: skip
    return dict(raw)


def parse_run_request(doc: Mapping[str, Any]) -> RunRequest:
    """RunMicrovm's body, checked."""
    if "imageIdentifier" not in doc:
        raise validation("imageIdentifier is required: the ARN of the MicroVM image to run")
    image = _string(doc, "imageIdentifier", 1, 256)
    version = _string(doc, "imageVersion", 1, 2048, NO_WHITESPACE) if "imageVersion" in doc else None
    echoed: dict[str, Any] = {}
    if "executionRoleArn" in doc:
        echoed["executionRoleArn"] = _string(doc, "executionRoleArn", 20, 2048, ROLE_ARN)
    if "kmsKeyIdentifier" in doc:
        echoed["kmsKeyIdentifier"] = _string(doc, "kmsKeyIdentifier", 1, 2048, KMS_KEY)
    for key in ("ingressNetworkConnectors", "egressNetworkConnectors"):
        if key in doc:
            echoed[key] = _connectors(doc, key)
    if "logging" in doc:
        # Not echoed: GetMicrovm's answer has no logging member. Logs stay in the plane's log files.
        _logging(doc["logging"])
    payload: str | None = None
    if "runHookPayload" in doc:
        payload = doc["runHookPayload"]
        if not isinstance(payload, str):
            raise validation(f"runHookPayload must be a string, got {type(payload).__name__}")
        if len(payload) > MAX_RUN_HOOK_PAYLOAD:
            raise validation(
                f"runHookPayload is {len(payload)} characters; the service model allows at most "
                f"{MAX_RUN_HOOK_PAYLOAD} (its documentation says 16,384 bytes)"
            )
    max_duration = DEFAULT_MAX_DURATION_SECONDS
    if "maximumDurationInSeconds" in doc:
        max_duration = _int(doc, "maximumDurationInSeconds", 1, MAX_DURATION_SECONDS)
    token = _string(doc, "clientToken", 1, 128) if "clientToken" in doc else None
    return RunRequest(
        image, version, _idle_policy(doc.get("idlePolicy")), max_duration, payload, echoed, token
    )


def _port(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise validation(f"{what} must be a port from 1 to 65535, got {value!r}")
    return value


def parse_token_request(doc: Mapping[str, Any]) -> tuple[int, list[tuple[int, int]]]:
    """CreateMicrovmAuthToken's body: (minutes, allowed port ranges)."""
    for key in ("expirationInMinutes", "allowedPorts"):
        if key not in doc:
            raise validation(f"{key} is required")
    minutes = _int(doc, "expirationInMinutes", 1, MAX_TOKEN_MINUTES)
    specs = doc["allowedPorts"]
    if not isinstance(specs, list) or not specs:
        raise validation("allowedPorts must list at least one {port}, {range} or {allPorts}")
    ranges: list[tuple[int, int]] = []
    for n, spec in enumerate(specs):
        where = f"allowedPorts[{n}]"
        if not isinstance(spec, Mapping) or len(spec) != 1:
            raise validation(f"{where} must have exactly one of port, range or allPorts")
        if "port" in spec:
            port = _port(spec["port"], f"{where}.port")
            ranges.append((port, port))
        elif "range" in spec and isinstance(spec["range"], Mapping):
            start = _port(spec["range"].get("startPort"), f"{where}.range.startPort")
            end = _port(spec["range"].get("endPort"), f"{where}.range.endPort")
            if start > end:
                raise validation(f"{where}.range.startPort {start} is above endPort {end}")
            ranges.append((start, end))
        elif "allPorts" in spec:
            ranges.append((1, 65535))
        else:
            raise validation(f"{where} must have exactly one of port, range or allPorts")
    return minutes, ranges


def parse_list_query(params: Mapping[str, str]) -> tuple[int, int, str | None, str | None]:
    """ListMicrovms' query: (maxResults, offset from nextToken, imageIdentifier, imageVersion)."""
    limit = MAX_LIST_RESULTS
    if "maxResults" in params:
        try:
            limit = int(params["maxResults"])
        except ValueError:
            raise validation(f"maxResults must be an integer, got {params['maxResults']!r}") from None
        if not 1 <= limit <= MAX_LIST_RESULTS:
            raise validation(f"maxResults must be from 1 to {MAX_LIST_RESULTS}, got {limit}")
    offset = 0
    if "nextToken" in params:
        token = params["nextToken"]
        if not token.startswith("page-") or not token[5:].isdigit():
            raise validation(f"nextToken {token!r} is not one this service gave")
        offset = int(token[5:])
    image = params.get("imageIdentifier")
    if image is not None and not 1 <= len(image) <= 256:
        raise validation("imageIdentifier must be 1 to 256 characters")
    return limit, offset, image, params.get("imageVersion")
