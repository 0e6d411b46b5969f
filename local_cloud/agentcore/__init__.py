"""A local AgentCore Runtime data plane: one process per session, lifecycle, StopRuntimeSession, usage.

In the moto split: `models` (sessions and their lifecycle: the state), `responses` (the wire handlers for
InvokeAgentRuntime and StopRuntimeSession, in botocore's format from `wire`), `developer_api` (the
/_local/ views and faults, apart from the service's own), `plane` (AgentCoreLocal, which serves them),
`runtimes` and `control_plane` (what it serves: folders, or runtimes deployed to the embedded AWS).
"""

from .models import Invocation, Settings
from .plane import CONTAINER_ERRORS, AgentCoreLocal
from .runtimes import Lifecycle, RuntimeSpec, folder_runtime, parse_runtime_flag
from .table import session_lines
from .wire import SESSION_HEADER, runtime_arn

__all__ = [
    "CONTAINER_ERRORS",
    "SESSION_HEADER",
    "AgentCoreLocal",
    "Invocation",
    "Lifecycle",
    "RuntimeSpec",
    "Settings",
    "folder_runtime",
    "parse_runtime_flag",
    "runtime_arn",
    "session_lines",
]
