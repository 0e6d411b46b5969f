"""Step 0's Bedrock model: its settings, and one table from what botocore raises to our errors."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from ..aws.clients import region
from ..aws.errors import THROTTLING_CODES
from ..core.errors import AppError, ConfigurationError, Conflict, exception_chain
from ..core.settings import int_setting
from .prompt import MAX_PROMPT_CHARS

__all__ = [
    "DEFAULT_MODEL_ID",
    "MODEL_ID",
    "MODEL_READ_TIMEOUT_SECONDS",
    "AgentBusy",
    "ModelAccessDenied",
    "ModelCredentialsInvalid",
    "ModelCredentialsMissing",
    "ModelNotFound",
    "ModelOutputTruncated",
    "ModelRequestRejected",
    "ModelSettings",
    "ModelThrottled",
    "ModelTimeout",
    "ModelUnavailable",
    "model_error",
]

MODEL_ID = "MODEL_ID"
MODEL_READ_TIMEOUT_SECONDS = "MODEL_READ_TIMEOUT_SECONDS"
# Amazon's own model, so no AWS Marketplace subscription and no Anthropic use-case form on a new
# account; a global cross-Region inference profile, so it is invocable from every commercial
# source Region. Amazon Titan Text Express (the original's model) has reached end of life.
DEFAULT_MODEL_ID = "global.amazon.nova-2-lite-v1:0"
DEFAULT_MAX_PROMPT_CHARS = 20_000
MAX_MAX_PROMPT_CHARS = 200_000
# botocore's read timeout is per read of the response stream, not for the whole answer.
DEFAULT_MODEL_READ_TIMEOUT = 120


@dataclass(frozen=True)
class ModelSettings:
    """Which Bedrock model step 0 calls, where, and how large a prompt it accepts."""

    model_id: str
    region: str
    max_prompt_chars: int
    read_timeout: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ModelSettings:
        """Read MODEL_ID, MAX_PROMPT_CHARS, MODEL_READ_TIMEOUT_SECONDS and the region."""
        env = os.environ if environ is None else environ
        return cls(
            model_id=env.get(MODEL_ID, "").strip() or DEFAULT_MODEL_ID,
            region=region(),
            max_prompt_chars=int_setting(
                MAX_PROMPT_CHARS, DEFAULT_MAX_PROMPT_CHARS, 1, MAX_MAX_PROMPT_CHARS, env
            ),
            read_timeout=int_setting(MODEL_READ_TIMEOUT_SECONDS, DEFAULT_MODEL_READ_TIMEOUT, 1, 3600, env),
        )

    def client_config(self) -> Config:
        """The bedrock-runtime client's Config: explicit timeouts, botocore's standard retries."""
        # No max_attempts here: AWS_MAX_ATTEMPTS / the config file decide (botocore's default is 3).
        return Config(connect_timeout=5, read_timeout=self.read_timeout, retries={"mode": "standard"})


class AgentBusy(Conflict):
    """This session's agent is still answering an earlier prompt."""

    status = 409
    code = "AgentBusy"


class ModelCredentialsMissing(AppError):
    """The runtime found no AWS credentials to sign the Bedrock call with."""

    status = 500
    code = "ModelCredentialsMissing"


class ModelCredentialsInvalid(AppError):
    """Bedrock rejected the credentials (expired, unknown key, bad signature)."""

    status = 502
    code = "ModelCredentialsInvalid"


class ModelAccessDenied(AppError):
    """Bedrock refused the call: IAM, an SCP, or model access for this account."""

    status = 502
    code = "ModelAccessDenied"


class ModelNotFound(AppError):
    """MODEL_ID names no model or inference profile this account can invoke here."""

    status = 502
    code = "ModelNotFound"


class ModelRequestRejected(AppError):
    """Bedrock rejected the request for another reason (its code is attached)."""

    status = 502
    code = "ModelRequestRejected"


class ModelOutputTruncated(AppError):
    """The model stopped at its output token limit before finishing the answer."""

    status = 502
    code = "ModelOutputTruncated"


class ModelUnavailable(AppError):
    """Bedrock could not be reached or failed internally."""

    status = 502
    code = "ModelUnavailable"


class ModelThrottled(AppError):
    """Bedrock kept throttling after the retries."""

    status = 429
    code = "ModelThrottled"


class ModelTimeout(AppError):
    """Bedrock did not answer within the configured timeouts."""

    status = 504
    code = "ModelTimeout"


_THROTTLED = (
    "Amazon Bedrock is throttling calls to this model after retries; retry later, or ask for a higher quota "
    "(Service Quotas, Amazon Bedrock) or use a cross-Region inference profile id"
)
_ACCESS_DENIED = (
    "Amazon Bedrock denied access to {model_id} in {region}: allow bedrock:InvokeModel and "
    "bedrock:InvokeModelWithResponseStream on the inference profile and its foundation model in the "
    "caller's IAM policy (the runtime's execution role when deployed), and check that no SCP blocks it; "
    "see the step README"
)
_BAD_CREDENTIALS = (
    "Amazon Bedrock rejected the AWS credentials (expired or unknown); refresh them (for example "
    "`aws sso login`) and retry"
)
_NOT_FOUND = (
    "Amazon Bedrock cannot invoke {model_id!r} in {region}: it is misspelled, not offered there, or past its "
    "end of life (as amazon.titan-text-express-v1 is). Set " + MODEL_ID + " to a model or inference profile "
    "id from the Bedrock model catalog for this region.{hint}"
)
_PROFILE_HINT = (
    " This model is only invocable through an inference profile: prefix the id with global., us., eu. or "
    "apac. as listed for the model."
)
_UNAVAILABLE = "Amazon Bedrock failed to answer (a service-side error); retry later"

# Bedrock's error code -> (our error, message). Codes come in both cases: the event stream of
# ConverseStream spells them in lower camel case.
_BY_CODE: dict[str, tuple[type[AppError], str]] = {
    **{code: (ModelThrottled, _THROTTLED) for code in THROTTLING_CODES},
    "AccessDeniedException": (ModelAccessDenied, _ACCESS_DENIED),
    **{
        code: (ModelCredentialsInvalid, _BAD_CREDENTIALS)
        for code in (
            "UnrecognizedClientException",
            "InvalidSignatureException",
            "ExpiredTokenException",
            "ExpiredToken",
            "InvalidClientTokenId",
            "IncompleteSignature",
        )
    },
    "ResourceNotFoundException": (ModelNotFound, _NOT_FOUND),
    "ModelTimeoutException": (
        ModelTimeout,
        "the model took too long to answer; retry, or use a shorter prompt",
    ),
    **{
        code: (ModelUnavailable, _UNAVAILABLE)
        for code in (
            "InternalServerException",
            "internalServerException",
            "ServiceUnavailableException",
            "serviceUnavailableException",
            "ModelNotReadyException",
            "ModelErrorException",
            "modelStreamErrorException",
            "ModelStreamErrorException",
        )
    },
}
# A ValidationException whose message says the model id is the problem is a ModelNotFound.
_MODEL_PROBLEM_MARKERS = (
    "model identifier is invalid",
    "on-demand throughput",
    "inference profile",
    "end of its life",
)


def model_error(exc: BaseException, settings: ModelSettings) -> AppError | None:
    """Translate a failed Bedrock call (botocore errors anywhere in the chain) into an AppError."""
    for cause in exception_chain(exc):
        mapped = _map_one(cause, settings)
        if mapped is not None:
            return mapped
    return None


def _map_one(exc: BaseException, s: ModelSettings) -> AppError | None:
    where: dict[str, Any] = {"model_id": s.model_id, "region": s.region}
    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, NoRegionError):
        return ConfigurationError(
            "no AWS region is configured; set the environment variable AWS_REGION", variable="AWS_REGION"
        )
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError)):
        return ModelCredentialsMissing(
            "no AWS credentials were found to call Amazon Bedrock; run `aws configure` or set AWS_PROFILE "
            "locally, or check the runtime's execution role when deployed",
            **where,
        )
    if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError)) or _is_urllib3_timeout(exc):
        return ModelTimeout(
            f"Amazon Bedrock did not answer in time (read timeout {s.read_timeout} s, set by "
            f"{MODEL_READ_TIMEOUT_SECONDS}); retry, or use a shorter prompt",
            **where,
        )
    if isinstance(exc, EndpointConnectionError):
        return ModelUnavailable(
            f"could not connect to the Amazon Bedrock endpoint in {s.region}; check the network and that "
            "Bedrock is offered in this region",
            **where,
        )
    if isinstance(exc, ClientError):
        return _map_client_error(exc, s, where)
    return None


def _is_urllib3_timeout(exc: BaseException) -> bool:
    # The response stream is read through urllib3 directly, so its timeouts are not botocore's.
    kind = type(exc)
    return kind.__name__ in {"ReadTimeoutError", "ConnectTimeoutError"} and kind.__module__.startswith(
        "urllib3"
    )


def _map_client_error(exc: ClientError, s: ModelSettings, where: dict[str, Any]) -> AppError:
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    where = {**where, "aws_code": code}
    if code == "ValidationException" and any(m in message.lower() for m in _MODEL_PROBLEM_MARKERS):
        code = "ResourceNotFoundException"
    kind, text = _BY_CODE.get(code, (None, ""))
    if kind is None and exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
        kind, text = ModelUnavailable, _UNAVAILABLE
    if kind is None:
        return ModelRequestRejected(
            f"Amazon Bedrock rejected the request ({code or 'unknown error'}); see the runtime logs for this "
            "request id",
            **where,
        )
    hint = _PROFILE_HINT if "on-demand throughput" in message else ""
    return kind(text.format(model_id=s.model_id, region=s.region, hint=hint), **where)
