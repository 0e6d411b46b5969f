"""The runtime session this process serves, and how it ends it when its work is done.

A session that has finished its job would otherwise idle, billed, until the idle timeout ends it. The
process learns which runtime it is from `OTEL_RESOURCE_ATTRIBUTES`' `cloud.resource_id` (a runtime or
runtime-endpoint ARN), the attribute bedrock-agentcore's SDK itself reads for its own ARN
(`bedrock_agentcore.runtime.app._parse_runtime_arn`, 1.25.0); the local data plane sets it as the service
does. Without it (a plain `uvicorn agent:app`, a test client) nothing is stopped.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from ..aws.clients import client
from ..core.errors import AppError
from ..runtime.arn import RUNTIME_RESOURCE_RE
from ..runtime.client import AgentRuntime

__all__ = ["OTEL_RESOURCE_ATTRIBUTES", "OwnSession", "process_age"]

logger = logging.getLogger("shared")
OTEL_RESOURCE_ATTRIBUTES = "OTEL_RESOURCE_ATTRIBUTES"


@dataclass(frozen=True)
class OwnSession:
    """This process's runtime (ARN and endpoint); `end(session_id)` stops one of its sessions."""

    runtime_arn: str
    qualifier: str = "DEFAULT"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OwnSession | None:
        """Read cloud.resource_id from OTEL_RESOURCE_ATTRIBUTES; None when it names no runtime."""
        attributes = (os.environ if environ is None else environ).get(OTEL_RESOURCE_ATTRIBUTES, "")
        for pair in attributes.split(","):
            name, _, value = pair.strip().partition("=")
            if name == "cloud.resource_id":
                # OpenTelemetry percent-encodes attribute values; an ARN usually needs none.
                found = RUNTIME_RESOURCE_RE.match(unquote(value.strip()))
                if found:
                    return cls(found["arn"], found["endpoint"] or "DEFAULT")
        return None

    def end(self, session_id: str, runtime: Any = None) -> bool:
        """StopRuntimeSession on this session (it ends this process too); False if it could not."""
        target = runtime or AgentRuntime(client("bedrock-agentcore"), self.runtime_arn, self.qualifier)
        try:
            return bool(target.stop_session(session_id))
        except AppError as exc:
            # The job's record is final already: the session then ends at its idle timeout instead.
            logger.warning("could not end session %s (%s): %s", session_id, exc.code, exc.message)
            return False


def process_age(now: float | None = None) -> float:
    """Seconds since this process started (a session's age: one process per session), 0 if unknown."""
    import time

    now = time.time() if now is None else now
    try:
        # /proc/self/stat field 22: start time in clock ticks after boot; /proc/stat btime: boot time.
        with open("/proc/self/stat", encoding="ascii") as stat:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat", encoding="ascii") as system:
            boot = next(int(line.split()[1]) for line in system if line.startswith("btime "))
    except (OSError, ValueError, IndexError, StopIteration):
        return 0.0
    return max(0.0, now - (boot + ticks / os.sysconf("SC_CLK_TCK")))
