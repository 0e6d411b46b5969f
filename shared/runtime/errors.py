"""The errors of calling AgentCore Runtime: the data plane's own, and agent answers that are not ours."""

from __future__ import annotations

from ..core.errors import AppError

__all__ = [
    "AgentFailed",
    "AgentRejectedRequest",
    "AgentResponseInvalid",
    "AgentUnavailable",
    "ProxyMisconfigured",
    "ResponseTooLarge",
    "RuntimeAccessDenied",
    "RuntimeBusy",
    "RuntimeClientError",
    "RuntimeNotFound",
    "RuntimeQuotaExceeded",
    "RuntimeRejectedRequest",
    "RuntimeTimeout",
    "RuntimeUnavailable",
    "RuntimeUnreachable",
    "Throttled",
    "UnexpectedStatus",
]


class RuntimeRejectedRequest(AppError):
    """The runtime rejected the request."""

    status = 502
    code = "RuntimeRejectedRequest"


class RuntimeAccessDenied(AppError):
    """The caller may not invoke the runtime."""

    status = 502
    code = "RuntimeAccessDenied"


class RuntimeNotFound(AppError):
    """The runtime or its endpoint does not exist."""

    status = 502
    code = "RuntimeNotFound"


class RuntimeClientError(AppError):
    """The agent failed to start or to answer."""

    status = 502
    code = "RuntimeClientError"


class Throttled(AppError):
    """The runtime throttled the call after botocore's retries."""

    status = 429
    code = "Throttled"


class RuntimeQuotaExceeded(AppError):
    """The runtime is at its session quota."""

    status = 503
    code = "RuntimeQuotaExceeded"


class RuntimeBusy(AppError):
    """The runtime session is busy."""

    status = 503
    code = "RuntimeBusy"


class RuntimeUnavailable(AppError):
    """The runtime failed."""

    status = 503
    code = "RuntimeUnavailable"


class RuntimeTimeout(AppError):
    """The agent did not answer in time."""

    status = 504
    code = "RuntimeTimeout"


class RuntimeUnreachable(AppError):
    """The runtime endpoint could not be reached."""

    status = 502
    code = "RuntimeUnreachable"


class ProxyMisconfigured(AppError):
    """The caller built an invalid runtime request."""

    status = 500
    code = "ProxyMisconfigured"


class ResponseTooLarge(AppError):
    """The agent's answer is larger than the caller returns."""

    status = 502
    code = "ResponseTooLarge"


class AgentResponseInvalid(AppError):
    """The agent's answer is not what was expected."""

    status = 502
    code = "AgentResponseInvalid"


class AgentFailed(AppError):
    """The agent answered with a 5xx."""

    status = 502
    code = "AgentFailed"


class AgentUnavailable(AppError):
    """The agent answered 503."""

    status = 503
    code = "AgentUnavailable"


class AgentRejectedRequest(AppError):
    """The agent answered 4xx without our envelope."""

    status = 502
    code = "AgentRejectedRequest"


class UnexpectedStatus(AppError):
    """The runtime answered with a status that means nothing here."""

    status = 502
    code = "RuntimeError"
