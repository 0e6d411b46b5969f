"""Which runtime a caller invokes (AGENT_RUNTIME_ARN, or AGENT_RUNTIME_ID in the function's account) and
how patiently: the settings of every Lambda in front of AgentCore (step 5's proxy, step 6's starter)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..core.errors import ConfigurationError
from ..core.settings import int_setting
from .arn import RUNTIME_ARN_RE

__all__ = [
    "AGENT_RUNTIME_ARN",
    "AGENT_RUNTIME_ID",
    "AGENT_RUNTIME_QUALIFIER",
    "RUNTIME_CONNECT_TIMEOUT_SECONDS",
    "RUNTIME_MAX_ATTEMPTS",
    "RUNTIME_READ_TIMEOUT_SECONDS",
    "RuntimeCallSettings",
    "RuntimeTarget",
]

AGENT_RUNTIME_ARN = "AGENT_RUNTIME_ARN"
AGENT_RUNTIME_ID = "AGENT_RUNTIME_ID"
AGENT_RUNTIME_QUALIFIER = "AGENT_RUNTIME_QUALIFIER"
RUNTIME_READ_TIMEOUT_SECONDS = "RUNTIME_READ_TIMEOUT_SECONDS"
RUNTIME_CONNECT_TIMEOUT_SECONDS = "RUNTIME_CONNECT_TIMEOUT_SECONDS"
RUNTIME_MAX_ATTEMPTS = "RUNTIME_MAX_ATTEMPTS"
# API Gateway's default integration timeout is 29 s: the runtime call's read timeout stays below it, so
# the Lambda, not API Gateway, decides what the caller sees when the agent is slow.
DEFAULT_RUNTIME_CONNECT_TIMEOUT = 2
DEFAULT_RUNTIME_READ_TIMEOUT = 24
DEFAULT_RUNTIME_MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class RuntimeCallSettings:
    """How patiently a Lambda calls InvokeAgentRuntime."""

    connect_timeout: int
    read_timeout: int
    max_attempts: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RuntimeCallSettings:
        """Read RUNTIME_CONNECT_TIMEOUT_SECONDS, RUNTIME_READ_TIMEOUT_SECONDS and RUNTIME_MAX_ATTEMPTS."""
        env = os.environ if environ is None else environ
        return cls(
            connect_timeout=int_setting(
                RUNTIME_CONNECT_TIMEOUT_SECONDS, DEFAULT_RUNTIME_CONNECT_TIMEOUT, 1, 10, env
            ),
            read_timeout=int_setting(RUNTIME_READ_TIMEOUT_SECONDS, DEFAULT_RUNTIME_READ_TIMEOUT, 1, 900, env),
            max_attempts=int_setting(RUNTIME_MAX_ATTEMPTS, DEFAULT_RUNTIME_MAX_ATTEMPTS, 1, 5, env),
        )


@dataclass(frozen=True)
class RuntimeTarget:
    """Which runtime (ARN and endpoint qualifier) a Lambda invokes."""

    runtime_arn: str
    qualifier: str

    @classmethod
    def from_env(cls, function_arn: str | None, environ: Mapping[str, str] | None = None) -> RuntimeTarget:
        """Read AGENT_RUNTIME_ARN, or AGENT_RUNTIME_ID plus the function ARN's account and region."""
        env = os.environ if environ is None else environ
        arn = env.get(AGENT_RUNTIME_ARN, "").strip()
        if not arn:
            arn = _arn_from_runtime_id(env.get(AGENT_RUNTIME_ID, "").strip(), function_arn)
        if not RUNTIME_ARN_RE.fullmatch(arn):
            raise ConfigurationError(
                f"{AGENT_RUNTIME_ARN} is not an AgentCore runtime ARN", variable=AGENT_RUNTIME_ARN
            )
        return cls(
            runtime_arn=arn,
            qualifier=env.get(AGENT_RUNTIME_QUALIFIER, "").strip() or "DEFAULT",
        )


def _arn_from_runtime_id(runtime_id: str, function_arn: str | None) -> str:
    if not runtime_id:
        raise ConfigurationError(
            f"set {AGENT_RUNTIME_ARN}, or {AGENT_RUNTIME_ID} for a runtime in the function's account",
            variable=AGENT_RUNTIME_ARN,
        )
    # arn:aws:lambda:<region>:<account>:function:<name>[:<alias>], from the invocation context:
    # the account comes for free, no STS call per request.
    parts = (function_arn or "").split(":")
    if len(parts) < 7 or parts[2] != "lambda":
        raise ConfigurationError(
            f"{AGENT_RUNTIME_ID} needs the function ARN from the Lambda context", variable=AGENT_RUNTIME_ID
        )
    partition, region, account = parts[1], parts[3], parts[4]
    return f"arn:{partition}:bedrock-agentcore:{region}:{account}:runtime/{runtime_id}"
