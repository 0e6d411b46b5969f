"""Settings read from the environment into typed objects; names are constants."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import ConfigurationError

__all__ = [
    "CallerSettings",
    "DynamoDbSettings",
    "JobSettings",
    "ProxySettings",
    "RuntimeCallSettings",
    "S3Settings",
    "SqsSettings",
    "int_setting",
    "log_level",
    "require",
    "session_secret",
]

SQS_QUEUE_URL = "SQS_QUEUE_URL"
S3_BUCKET_NAME = "S3_BUCKET_NAME"
S3_PREFIX = "S3_PREFIX"
DYNAMODB_TABLE_NAME = "DYNAMODB_TABLE_NAME"
TTL_DAYS = "TTL_DAYS"
DELAY_SECONDS = "DELAY_SECONDS"
LOG_LEVEL = "LOG_LEVEL"
# Step 0 (the Bedrock model).
MODEL_ID = "MODEL_ID"
MAX_PROMPT_CHARS = "MAX_PROMPT_CHARS"
MODEL_READ_TIMEOUT_SECONDS = "MODEL_READ_TIMEOUT_SECONDS"

DEFAULT_S3_PREFIX = "agentcore-results"
DEFAULT_TTL_DAYS = 30
MAX_TTL_DAYS = 36_500
# The runtime's maximum session lifetime (8 h); a longer delay could never finish.
MAX_DELAY_SECONDS = 28_800
# Async jobs (step 4 and the step 5 proxy): the lease a running job renews, and the runtime's maxLifetime,
# which both sides read so that a job that could never finish is refused before it starts.
JOB_LEASE_SECONDS = "JOB_LEASE_SECONDS"
RUNTIME_MAX_LIFETIME_SECONDS = "RUNTIME_MAX_LIFETIME_SECONDS"
DEFAULT_JOB_LEASE_SECONDS = 30
# The service's default maxLifetime; the Instances compute type allows up to 14 days.
DEFAULT_MAX_LIFETIME_SECONDS = 28_800
MAX_LIFETIME_LIMIT_SECONDS = 1_209_600


def require(name: str, environ: Mapping[str, str] | None = None) -> str:
    """Return a required, non-empty setting or raise ConfigurationError naming it."""
    value = (os.environ if environ is None else environ).get(name, "").strip()
    if not value:
        raise ConfigurationError(f"the environment variable {name} is not set", variable=name)
    return value


def int_setting(
    name: str, default: int, low: int, high: int, environ: Mapping[str, str] | None = None
) -> int:
    """Return an integer setting within [low, high], its default when unset."""
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ConfigurationError(
            f"the environment variable {name} must be an integer from {low} to {high}, got {raw!r}",
            variable=name,
        )
    return value


@dataclass(frozen=True)
class SqsSettings:
    """Where step 2 sends its messages."""

    queue_url: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SqsSettings:
        """Read SQS_QUEUE_URL."""
        return cls(queue_url=require(SQS_QUEUE_URL, environ))


@dataclass(frozen=True)
class S3Settings:
    """Where step 3 stores its objects."""

    bucket: str
    prefix: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> S3Settings:
        """Read S3_BUCKET_NAME and S3_PREFIX."""
        env = os.environ if environ is None else environ
        prefix = env.get(S3_PREFIX, DEFAULT_S3_PREFIX).strip().strip("/") or DEFAULT_S3_PREFIX
        return cls(bucket=require(S3_BUCKET_NAME, env), prefix=prefix)


@dataclass(frozen=True)
class DynamoDbSettings:
    """Where step 4 writes its items, how long they live, how long to wait first."""

    table_name: str
    ttl_days: int
    delay_seconds: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DynamoDbSettings:
        """Read DYNAMODB_TABLE_NAME, TTL_DAYS and DELAY_SECONDS."""
        return cls(
            table_name=require(DYNAMODB_TABLE_NAME, environ),
            ttl_days=int_setting(TTL_DAYS, DEFAULT_TTL_DAYS, 1, MAX_TTL_DAYS, environ),
            delay_seconds=int_setting(DELAY_SECONDS, 0, 0, MAX_DELAY_SECONDS, environ),
        )


@dataclass(frozen=True)
class JobSettings:
    """How long a job's lease lasts, and how long its runtime session may live (its maxLifetime)."""

    lease_seconds: int
    max_lifetime: int

    @property
    def heartbeat_seconds(self) -> float:
        """How often a running job renews its lease: three times per lease."""
        return self.lease_seconds / 3

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> JobSettings:
        """Read JOB_LEASE_SECONDS (2 to 900) and RUNTIME_MAX_LIFETIME_SECONDS (the runtime's maxLifetime)."""
        return cls(
            lease_seconds=int_setting(JOB_LEASE_SECONDS, DEFAULT_JOB_LEASE_SECONDS, 2, 900, environ),
            max_lifetime=int_setting(
                RUNTIME_MAX_LIFETIME_SECONDS,
                DEFAULT_MAX_LIFETIME_SECONDS,
                1,
                MAX_LIFETIME_LIMIT_SECONDS,
                environ,
            ),
        )


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def log_level(environ: Mapping[str, str] | None = None, default: str = "INFO") -> str:
    """Return LOG_LEVEL as a level name the logging module knows; the default when unset or unknown."""
    # An unknown level must not crash a process at import: it falls back, and the logs still flow.
    level = (os.environ if environ is None else environ).get(LOG_LEVEL, "").strip().upper()
    return level if level in _LOG_LEVELS else default


# Step 5, the Lambda proxy in front of the runtime.
AGENT_RUNTIME_ARN = "AGENT_RUNTIME_ARN"
AGENT_RUNTIME_ID = "AGENT_RUNTIME_ID"
AGENT_RUNTIME_QUALIFIER = "AGENT_RUNTIME_QUALIFIER"
ALLOWED_ORIGIN = "ALLOWED_ORIGIN"
RUNTIME_READ_TIMEOUT_SECONDS = "RUNTIME_READ_TIMEOUT_SECONDS"
RUNTIME_CONNECT_TIMEOUT_SECONDS = "RUNTIME_CONNECT_TIMEOUT_SECONDS"
RUNTIME_MAX_ATTEMPTS = "RUNTIME_MAX_ATTEMPTS"
JOBS_TABLE_NAME = "JOBS_TABLE_NAME"
# Who the caller is (none: every caller is one tenant; api_key: API Gateway's apiKeyId; jwt: the
# authorizer's sub claim), and the key the proxy derives runtime session ids with.
CALLER_IDENTITY = "CALLER_IDENTITY"
CALLER_IDENTITIES = ("none", "api_key", "jwt")
SESSION_ID_SECRET = "SESSION_ID_SECRET"  # noqa: S105  # nosec B105: the variable's name, not a secret
MIN_SESSION_SECRET_CHARS = 16
# API Gateway's default integration timeout is 29 s: the runtime call's read timeout stays below it, so
# the Lambda, not API Gateway, decides what the caller sees when the agent is slow.
DEFAULT_RUNTIME_CONNECT_TIMEOUT = 2
DEFAULT_RUNTIME_READ_TIMEOUT = 25
DEFAULT_RUNTIME_MAX_ATTEMPTS = 3
RUNTIME_ARN_RE = re.compile(r"arn:aws[a-z-]*:bedrock-agentcore:[a-z0-9-]+:\d{12}:runtime/[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class RuntimeCallSettings:
    """How patiently the step 5 Lambda calls InvokeAgentRuntime."""

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
class ProxySettings:
    """Which runtime the step 5 Lambda invokes."""

    runtime_arn: str
    qualifier: str

    @classmethod
    def from_env(cls, function_arn: str | None, environ: Mapping[str, str] | None = None) -> ProxySettings:
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


@dataclass(frozen=True)
class CallerSettings:
    """How the step 5 proxy tells its callers apart."""

    identity: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CallerSettings:
        """Read CALLER_IDENTITY: none (the default: every caller is one tenant), api_key or jwt."""
        env = os.environ if environ is None else environ
        identity = env.get(CALLER_IDENTITY, "").strip().lower() or "none"
        if identity not in CALLER_IDENTITIES:
            raise ConfigurationError(
                f"{CALLER_IDENTITY} must be one of {', '.join(CALLER_IDENTITIES)}, got {identity!r}",
                variable=CALLER_IDENTITY,
            )
        return cls(identity=identity)


def session_secret(environ: Mapping[str, str] | None = None) -> bytes:
    """Read SESSION_ID_SECRET, the key the proxy derives runtime session ids with (16 characters or more)."""
    secret = require(SESSION_ID_SECRET, environ)
    if len(secret) < MIN_SESSION_SECRET_CHARS:
        raise ConfigurationError(
            f"{SESSION_ID_SECRET} must be at least {MIN_SESSION_SECRET_CHARS} characters",
            variable=SESSION_ID_SECRET,
        )
    return secret.encode("utf-8")
