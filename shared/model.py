"""Step 0's model settings, prompt validation and Bedrock error mapping (no strands import here)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import botocore.session
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

from .errors import AppError, ConfigurationError, Conflict, InvalidInput
from .settings import int_setting

MODEL_ID = "MODEL_ID"
MAX_PROMPT_CHARS = "MAX_PROMPT_CHARS"
MODEL_READ_TIMEOUT_SECONDS = "MODEL_READ_TIMEOUT_SECONDS"

# Amazon's own model, so no AWS Marketplace subscription and no Anthropic use-case form on a new
# account; a global cross-Region inference profile, so it is invocable from every commercial
# source Region. Amazon Titan Text Express (the original's model) has reached end of life.
DEFAULT_MODEL_ID = "global.amazon.nova-2-lite-v1:0"
DEFAULT_MAX_PROMPT_CHARS = 20_000
MAX_MAX_PROMPT_CHARS = 200_000
# botocore's read timeout is per read of the response stream, not for the whole answer.
DEFAULT_MODEL_READ_TIMEOUT = 120
EXPECTED_PROMPT_SHAPE = '{"prompt": "<text>", "stream": <optional boolean>}'


@dataclass(frozen=True)
class ModelSettings:
    """Which Bedrock model step 0 calls, where, and how large a prompt it accepts."""

    model_id: str
    region: str
    max_prompt_chars: int
    read_timeout: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ModelSettings:
        """Read MODEL_ID, MAX_PROMPT_CHARS, MODEL_READ_TIMEOUT_SECONDS and the botocore region."""
        env = os.environ if environ is None else environ
        return cls(
            model_id=env.get(MODEL_ID, "").strip() or DEFAULT_MODEL_ID,
            region=resolve_region(),
            max_prompt_chars=int_setting(
                MAX_PROMPT_CHARS, DEFAULT_MAX_PROMPT_CHARS, 1, MAX_MAX_PROMPT_CHARS, env
            ),
            read_timeout=int_setting(MODEL_READ_TIMEOUT_SECONDS, DEFAULT_MODEL_READ_TIMEOUT, 1, 3600, env),
        )

    def client_config(self) -> Config:
        """The bedrock-runtime client's Config: explicit timeouts, botocore's standard retries."""
        # No max_attempts here: AWS_MAX_ATTEMPTS / the config file decide (botocore's default is 3).
        return Config(connect_timeout=5, read_timeout=self.read_timeout, retries={"mode": "standard"})


def resolve_region() -> str:
    """Return AWS_REGION, else botocore's region (AWS_DEFAULT_REGION, the profile), or fail naming it."""
    # botocore itself reads only AWS_DEFAULT_REGION; AWS_REGION is what the runtimes set and SDKs share.
    region = os.environ.get("AWS_REGION", "").strip() or botocore.session.Session().get_config_variable(
        "region"
    )
    if not region:
        raise ConfigurationError(
            "no AWS region is configured; set the environment variable AWS_REGION", variable="AWS_REGION"
        )
    return str(region)


@dataclass(frozen=True)
class PromptRequest:
    """A validated step 0 request."""

    prompt: str
    stream: bool


def _invalid(message: str, field: str) -> InvalidInput:
    return InvalidInput(
        f"{message}; expected {EXPECTED_PROMPT_SHAPE}", field=field, expected=EXPECTED_PROMPT_SHAPE
    )


def parse_prompt_request(payload: Any, max_prompt_chars: int) -> PromptRequest:
    """Validate {"prompt": "<text>", "stream": <bool>} or raise InvalidInput naming the field."""
    if not isinstance(payload, dict):
        raise _invalid("the payload must be a JSON object", "$")
    if "prompt" not in payload:
        raise _invalid("prompt is missing", "prompt")
    prompt = payload["prompt"]
    if not isinstance(prompt, str):
        raise _invalid(f"prompt must be a string, got {_json_kind(prompt)}", "prompt")
    if not prompt.strip():
        raise _invalid("prompt is empty", "prompt")
    if len(prompt) > max_prompt_chars:
        raise _invalid(
            f"prompt has {len(prompt)} characters, more than the limit of {max_prompt_chars} "
            f"(set by {MAX_PROMPT_CHARS})",
            "prompt",
        )
    stream = payload.get("stream", False)
    if not isinstance(stream, bool):
        raise _invalid(f"stream must be true or false, got {_json_kind(stream)}", "stream")
    return PromptRequest(prompt=prompt, stream=stream)


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    kinds = {str: "a string", list: "an array", dict: "an object"}
    return next((kind for t, kind in kinds.items() if isinstance(value, t)), "a number")


class AgentBusy(Conflict):
    """This session's agent is still answering an earlier prompt."""

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
    """MODEL_ID names no model or inference profile this account can invoke in this region."""

    status = 502
    code = "ModelNotFound"


class ModelRequestRejected(AppError):
    """Bedrock rejected the request for another reason (its error code is attached)."""

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


_CREDENTIAL_CODES = {
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "ExpiredToken",
    "InvalidClientTokenId",
    "IncompleteSignature",
}
_THROTTLING_CODES = {
    "ThrottlingException",
    "throttlingException",
    "TooManyRequestsException",
    "ServiceQuotaExceededException",
}
_UNAVAILABLE_CODES = {
    "InternalServerException",
    "internalServerException",
    "ServiceUnavailableException",
    "serviceUnavailableException",
    "ModelNotReadyException",
    "ModelErrorException",
    "modelStreamErrorException",
    "ModelStreamErrorException",
}


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """Yield the exception, then what it wraps (original_exception, __cause__, __context__)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "original_exception", None)
        current = wrapped if isinstance(wrapped, BaseException) else current.__cause__ or current.__context__


def model_error(exc: BaseException, settings: ModelSettings) -> AppError | None:
    """Translate a failed Bedrock call (botocore errors anywhere in the chain) into an AppError."""
    for cause in exception_chain(exc):
        mapped = _map_one(cause, settings)
        if mapped is not None:
            return mapped
    return None


def _map_one(exc: BaseException, s: ModelSettings) -> AppError | None:
    where = {"model_id": s.model_id, "region": s.region}
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
    return type(exc).__name__ in {"ReadTimeoutError", "ConnectTimeoutError"} and type(
        exc
    ).__module__.startswith("urllib3")


def _map_client_error(exc: ClientError, s: ModelSettings, where: dict[str, str]) -> AppError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", ""))
    where = {**where, "aws_code": code}
    if code in _THROTTLING_CODES:
        return ModelThrottled(
            "Amazon Bedrock is throttling calls to this model after retries; retry later, or ask for a "
            "higher quota (Service Quotas, Amazon Bedrock) or use a cross-Region inference profile id",
            **where,
        )
    if code == "AccessDeniedException":
        return ModelAccessDenied(
            f"Amazon Bedrock denied access to {s.model_id} in {s.region}: allow bedrock:InvokeModel and "
            "bedrock:InvokeModelWithResponseStream on the inference profile and its foundation model in "
            "the caller's IAM policy (the runtime's execution role when deployed), and check that no SCP "
            "blocks it; see the step README",
            **where,
        )
    if code in _CREDENTIAL_CODES:
        return ModelCredentialsInvalid(
            "Amazon Bedrock rejected the AWS credentials (expired or unknown); refresh them "
            "(for example `aws sso login`) and retry",
            **where,
        )
    if code == "ResourceNotFoundException" or (
        code == "ValidationException" and _names_model_problem(message)
    ):
        hint = ""
        if "on-demand throughput" in message:
            hint = (
                " This model is only invocable through an inference profile: prefix the id with "
                "global., us., eu. or apac. as listed for the model."
            )
        return ModelNotFound(
            f"Amazon Bedrock cannot invoke {s.model_id!r} in {s.region}: it is misspelled, not offered "
            f"there, or past its end of life (as amazon.titan-text-express-v1 is). Set {MODEL_ID} to a model "
            f"or inference profile id from the Bedrock model catalog for this region.{hint}",
            **where,
        )
    if code == "ModelTimeoutException":
        return ModelTimeout("the model took too long to answer; retry, or use a shorter prompt", **where)
    if code in _UNAVAILABLE_CODES or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
        return ModelUnavailable(
            "Amazon Bedrock failed to answer (a service-side error); retry later", **where
        )
    return ModelRequestRejected(
        f"Amazon Bedrock rejected the request ({code or 'unknown error'}); see the runtime logs for this "
        "request id",
        **where,
    )


def _names_model_problem(message: str) -> bool:
    lowered = message.lower()
    return any(
        marker in lowered
        for marker in (
            "model identifier is invalid",
            "on-demand throughput",
            "inference profile",
            "end of its life",
        )
    )
