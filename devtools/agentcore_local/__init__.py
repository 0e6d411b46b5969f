"""A local AgentCore Runtime data plane: one process per session, lifecycle, StopRuntimeSession, usage.

`python -m devtools.agentcore_local --runtime NAME=STEP_FOLDER` serves InvokeAgentRuntime and
StopRuntimeSession as botocore's model says; AgentCoreLocal does the same in-process.
"""

from devtools.agentcore_local.plane import AgentCoreLocal
from devtools.agentcore_local.runtimes import Lifecycle, RuntimeSpec, folder_runtime
from devtools.agentcore_local.server import Invocation
from devtools.agentcore_local.sessions import Settings
from devtools.agentcore_local.wire import runtime_arn

__all__ = [
    "AgentCoreLocal",
    "Invocation",
    "Lifecycle",
    "RuntimeSpec",
    "Settings",
    "folder_runtime",
    "runtime_arn",
]
