"""The one pattern of an AgentCore runtime ARN (with an optional endpoint suffix)."""

from __future__ import annotations

import re

__all__ = ["RUNTIME_ARN_RE", "RUNTIME_RESOURCE_RE"]

# arn:<partition>:bedrock-agentcore:<region>:<account>:runtime/<runtime id>
RUNTIME_ARN_RE = re.compile(r"arn:aws[a-z-]*:bedrock-agentcore:[a-z0-9-]+:\d{12}:runtime/[A-Za-z0-9_-]+")
# The same, as OpenTelemetry's cloud.resource_id names it: the ARN, then /runtime-endpoint/<endpoint>.
RUNTIME_RESOURCE_RE = re.compile(
    rf"^(?P<arn>{RUNTIME_ARN_RE.pattern})(?:/runtime-endpoint/(?P<endpoint>[A-Za-z0-9_-]+))?$"
)
