"""Gaps of moto's bedrock-agentcore-control that the embedded AWS fills, the way the service behaves.

- The service gives every new runtime a DEFAULT endpoint on its latest version, and moves it to each
  new version an update makes (InvokeAgentRuntime without a qualifier goes there). moto 5.2.5 creates
  none, so the starter toolkit's deploy waits its full 120 s for the DEFAULT endpoint to be READY.
  The patch creates it with the runtime and follows updates; its status becomes READY on the first
  read, like moto's own endpoints.
This patches moto's backend class in this process, which is where EmbeddedAws runs moto's server.
"""

from __future__ import annotations

from typing import Any

_installed = False


def install() -> None:
    """Patch moto's BedrockAgentCoreControlBackend once per process."""
    global _installed
    if _installed:
        return
    from moto.bedrockagentcorecontrol.models import AgentRuntimeEndpoint, BedrockAgentCoreControlBackend

    create, update = (
        BedrockAgentCoreControlBackend.create_agent_runtime,
        BedrockAgentCoreControlBackend.update_agent_runtime,
    )

    def create_agent_runtime(self: Any, *args: Any, **kwargs: Any) -> Any:
        runtime = create(self, *args, **kwargs)
        self.agent_runtime_endpoints[(runtime.agent_runtime_id, "DEFAULT")] = AgentRuntimeEndpoint(
            region_name=self.region_name,
            account_id=self.account_id,
            agent_runtime=runtime,
            name="DEFAULT",
            agent_runtime_version=None,
            description="created with the runtime (as the service does)",
        )
        return runtime

    def update_agent_runtime(self: Any, *args: Any, **kwargs: Any) -> Any:
        runtime = update(self, *args, **kwargs)
        endpoint = self.agent_runtime_endpoints.get((runtime.agent_runtime_id, "DEFAULT"))
        if endpoint is not None:
            endpoint.target_version = endpoint.live_version = runtime.agent_runtime_version
            endpoint.agent_runtime_arn = runtime.agent_runtime_arn
        return runtime

    BedrockAgentCoreControlBackend.create_agent_runtime = create_agent_runtime  # type: ignore[method-assign]
    BedrockAgentCoreControlBackend.update_agent_runtime = update_agent_runtime  # type: ignore[method-assign]
    _installed = True
