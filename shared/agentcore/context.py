"""What the runtime tells an invocation: its request id, its session id, the exactly parsed payload."""

from __future__ import annotations

from typing import Any

from bedrock_agentcore.runtime.context import BedrockAgentCoreContext

from ..core.records import SumRecord

__all__ = ["exact_payload", "request_id", "session_id", "sum_record"]

# Where ExactJsonMiddleware leaves the parsed body in the ASGI scope's state.
STATE_KEY = "exact_payload"


def request_id() -> str:
    """Return the runtime's request id for the current invocation."""
    value = BedrockAgentCoreContext.get_request_id()
    if not value:
        # Only outside an invocation (a direct call in a script); the SDK always sets one.
        raise RuntimeError("no AgentCore request id in this context")
    return value


def session_id(context: Any) -> str | None:
    """Return the runtime session id carried by the entrypoint's context."""
    return getattr(context, "session_id", None) or BedrockAgentCoreContext.get_session_id()


def exact_payload(payload: Any, context: Any) -> Any:
    """Return the payload as parsed exactly by ExactJsonMiddleware, else the SDK's own parse."""
    request = getattr(context, "request", None)
    state = getattr(request, "scope", {}).get("state", {}) if request is not None else {}
    return state.get(STATE_KEY, payload)


def sum_record(payload: Any, context: Any) -> SumRecord:
    """Validate the payload, add exactly, and stamp this invocation's request and session ids."""
    return SumRecord.from_payload(payload, request_id(), session_id(context))
