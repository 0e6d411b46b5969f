"""InvokeAgentRuntime (and StopRuntimeSession) from a caller: one call, the whole answer, one error table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError, ConnectTimeoutError, ParamValidationError, ReadTimeoutError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from ..aws.clients import new_client
from ..aws.errors import error_code
from ..core.errors import AppError
from ..core.jsonnum import loads_exact
from .errors import (
    AgentFailed,
    AgentRejectedRequest,
    AgentResponseInvalid,
    AgentUnavailable,
    ProxyMisconfigured,
    ResponseTooLarge,
    RuntimeAccessDenied,
    RuntimeBusy,
    RuntimeClientError,
    RuntimeNotFound,
    RuntimeQuotaExceeded,
    RuntimeRejectedRequest,
    RuntimeTimeout,
    RuntimeUnavailable,
    RuntimeUnreachable,
    Throttled,
    UnexpectedStatus,
)
from .settings import RuntimeCallSettings

__all__ = [
    "AgentAnswer",
    "AgentRuntime",
    "agent_error",
    "new_runtime_client",
    "runtime_config",
    "sse_events",
]

# Lambda's synchronous response limit is 6 MB: keep well under it.
MAX_RESPONSE_BYTES = 5 * 1024 * 1024
MAX_AGENT_ERROR_BYTES = 64 * 1024
_OPERATION = "bedrock-agentcore.InvokeAgentRuntime"


# The data plane's own errors (botocore's service model), after botocore's retries:
# code -> (our error, the message the caller sees, Retry-After seconds). Anything else with a non-2xx
# status is the agent's own answer (see agent_error).
SERVICE_ERRORS: dict[str, tuple[type[AppError], str, int | None]] = {
    "ValidationException": (RuntimeRejectedRequest, "the runtime rejected the request", None),
    "AccessDeniedException": (RuntimeAccessDenied, "the proxy may not invoke the runtime", None),
    "ResourceNotFoundException": (RuntimeNotFound, "the runtime or its endpoint does not exist", None),
    "RuntimeClientError": (RuntimeClientError, "the agent failed to start or to answer", None),
    "ThrottlingException": (Throttled, "too many requests; retry later", 1),
    "ServiceQuotaExceededException": (RuntimeQuotaExceeded, "the runtime is at its quota", 30),
    "RetryableConflictException": (RuntimeBusy, "the runtime session is busy; retry later", 2),
    "InternalServerException": (RuntimeUnavailable, "the runtime failed; retry later", 2),
}


def runtime_config(settings: RuntimeCallSettings) -> Config:
    """Return the botocore Config for InvokeAgentRuntime: the settings' timeouts and attempts."""
    return Config(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        # total_max_attempts counts the first call (max_attempts would count retries only).
        retries={"mode": "standard", "total_max_attempts": settings.max_attempts},
        tcp_keepalive=True,
    )


def _no_retry_after_read_timeout(caught_exception: Exception | None = None, **_: Any) -> None:
    # A retry after a read timeout would run the agent a second time while the caller's clock is
    # already nearly spent; raising here stops botocore's retry loop before it sleeps.
    if isinstance(caught_exception, ReadTimeoutError):
        raise caught_exception


def _keep_agent_error_body(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
    # botocore keeps only a code and message from an error body; when the agent itself answered
    # non-2xx (not a data-plane error), keep its JSON body so the caller gets the agent's envelope.
    error = parsed.get("Error")
    if not isinstance(error, dict) or error.get("Code") in SERVICE_ERRORS:
        return
    if getattr(http_response, "status_code", 200) < 300 or getattr(http_response, "raw", None) is None:
        return
    content = http_response.content
    if not content or len(content) > MAX_AGENT_ERROR_BYTES:
        return
    try:
        body = loads_exact(content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error["AgentBody"] = body


def new_runtime_client(config: Config) -> Any:
    """Build a bedrock-agentcore client with the Config and the two hooks AgentRuntime relies on."""
    client = new_client("bedrock-agentcore", config)
    client.meta.events.register(f"needs-retry.{_OPERATION}", _no_retry_after_read_timeout)
    client.meta.events.register(f"after-call.{_OPERATION}", _keep_agent_error_body)
    return client


@dataclass(frozen=True)
class AgentAnswer:
    """What the agent answered: status, content type and the decoded body (SSE: the list of events)."""

    status: int
    content_type: str
    body: Any

    @property
    def ok(self) -> bool:
        """Whether the agent answered 2xx."""
        return 200 <= self.status < 300


class AgentRuntime:
    """One runtime (ARN and endpoint qualifier) invoked through one client."""

    def __init__(self, client: Any, arn: str, qualifier: str = "DEFAULT") -> None:
        self._client = client
        self._arn = arn
        self._qualifier = qualifier

    def invoke(self, payload: bytes, session_id: str) -> AgentAnswer:
        """Call InvokeAgentRuntime once (botocore retries transient errors) and read the whole answer.

        The agent's own 4xx with our envelope comes back as an AgentAnswer to pass on; every other
        failure raises one of this module's errors, with no text from AWS or the agent in its message.
        """
        try:
            response = self._client.invoke_agent_runtime(
                agentRuntimeArn=self._arn,
                qualifier=self._qualifier,
                runtimeSessionId=session_id,
                contentType="application/json",
                accept="application/json, text/event-stream",
                payload=payload,
            )
        except ClientError as exc:
            return _from_client_error(exc)
        except ReadTimeoutError as exc:
            raise RuntimeTimeout("the agent did not answer in time") from exc
        except (ConnectTimeoutError, BotocoreConnectionError) as exc:
            raise RuntimeUnreachable("the runtime endpoint could not be reached") from exc
        except ParamValidationError as exc:
            raise ProxyMisconfigured("the proxy built an invalid runtime request") from exc
        answer = _read(response)
        if not answer.ok:
            return agent_error(answer.status, answer.body)
        return answer

    def stop_session(self, session_id: str) -> bool:
        """End a session (StopRuntimeSession); False when it had already ended or never existed.

        Any other failure raises one of this module's errors (the session may still be running).
        """
        try:
            self._client.stop_runtime_session(
                agentRuntimeArn=self._arn, qualifier=self._qualifier, runtimeSessionId=session_id
            )
        except ClientError as exc:
            code = error_code(exc)
            if code == "ResourceNotFoundException":
                # The documented answer for a session that is unknown or already terminated.
                return False
            kind, message, retry_after = SERVICE_ERRORS.get(
                code, (RuntimeUnavailable, "the runtime failed; retry later", 2)
            )
            raise kind(message, retry_after=retry_after, aws_error_code=code) from exc
        except (ReadTimeoutError, ConnectTimeoutError, BotocoreConnectionError) as exc:
            raise RuntimeUnreachable("the runtime endpoint could not be reached") from exc
        except ParamValidationError as exc:
            raise ProxyMisconfigured("the caller built an invalid runtime request") from exc
        return True


def _read(response: dict[str, Any]) -> AgentAnswer:
    status = int(response.get("statusCode") or 200)
    content_type = str(response.get("contentType") or "application/json")
    stream = response["response"]
    try:
        raw = stream.read(MAX_RESPONSE_BYTES + 1)
    except ReadTimeoutError as exc:
        raise RuntimeTimeout("the agent did not finish its answer in time") from exc
    finally:
        stream.close()
    if len(raw) > MAX_RESPONSE_BYTES:
        raise ResponseTooLarge("the agent's answer is larger than this API returns")
    try:
        if content_type.split(";")[0].strip().lower() == "text/event-stream":
            body: Any = sse_events(raw.decode("utf-8"))
        else:
            body = loads_exact(raw) if raw else None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise AgentResponseInvalid("the agent's answer is not valid JSON") from exc
    return AgentAnswer(status=status, content_type=content_type, body=body)


def sse_events(text: str) -> list[Any]:
    """Assemble server-sent events: data lines joined per event, each parsed as JSON when it is JSON."""
    events: list[Any] = []
    data: list[str] = []

    def flush() -> None:
        if data:
            joined = "\n".join(data)
            try:
                events.append(loads_exact(joined))
            except ValueError:
                events.append(joined)
            data.clear()

    for line in text.splitlines():
        if not line:
            flush()
        elif line.startswith("data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)
        # Comments (":"), event names, ids and retry fields carry no payload for this API.
    flush()
    return events


def _from_client_error(exc: ClientError) -> AgentAnswer:
    code = error_code(exc)
    mapped = SERVICE_ERRORS.get(code)
    if mapped is not None:
        kind, message, retry_after = mapped
        raise kind(message, retry_after=retry_after) from exc
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    try:
        return agent_error(status, exc.response.get("Error", {}).get("AgentBody"))
    except AppError as error:
        raise error from exc


def agent_error(status: int, body: Any) -> AgentAnswer:
    """The agent's own non-2xx answer: a 4xx with our envelope is returned to pass on; the rest raises."""
    agent_envelope = body.get("error") if isinstance(body, dict) else None
    if 400 <= status < 500 and isinstance(agent_envelope, dict):
        return AgentAnswer(status=status, content_type="application/json", body=body)
    if status == 503:
        raise AgentUnavailable("the agent is unavailable; retry later", retry_after=2)
    if 400 <= status < 500:
        raise AgentRejectedRequest("the agent refused the request", agent_status=status)
    if status >= 500:
        agent_code = agent_envelope.get("code") if isinstance(agent_envelope, dict) else None
        raise AgentFailed("the agent failed", agent_status=status, agent_code=agent_code)
    # A 1xx/3xx or a missing status: not a documented outcome; treat as a bad gateway.
    raise UnexpectedStatus("the runtime answered with an unexpected status")
