"""Calling AgentCore Runtime from a caller (a Lambda in front, a job ending its own session):
InvokeAgentRuntime and StopRuntimeSession with one error table, the runtime ARN, session ids."""

from .client import AgentAnswer, AgentRuntime, new_runtime_client, runtime_config
from .settings import RuntimeCallSettings, RuntimeTarget

__all__ = [
    "AgentAnswer",
    "AgentRuntime",
    "RuntimeCallSettings",
    "RuntimeTarget",
    "new_runtime_client",
    "runtime_config",
]
