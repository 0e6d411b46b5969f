"""Where moto 5.2.5 differs from the services, patched in-process (each patch idempotent, each says why)."""

from __future__ import annotations

from typing import Any

__all__ = ["fill_moto_gaps", "serialize_dynamodb_writes"]

# What UpdateProject may change in a CodeBuild project (the fields the toolkit sends).
_PROJECT_FIELDS = (
    "description", "source", "artifacts", "environment", "serviceRole", "cache", "timeoutInMinutes",
    "queuedTimeoutInMinutes", "sourceVersion", "logsConfig", "vpcConfig",
)  # fmt: skip


def fill_moto_gaps() -> None:
    """Patch moto's in-process backends where `agentcore deploy` needs what the service does (idempotent).

    - The service creates a runtime's DEFAULT endpoint (and moves it to each new version); moto creates
      none, so the starter toolkit polls GetAgentRuntimeEndpoint for 120 s after every deploy.
    - A runtime's ARN is `...:runtime/<runtime id>` for all its versions; moto makes `...:agent/<uuid>:<n>`
      and changes it on every update, so an ARN saved by `agentcore deploy` stops naming the runtime.
    - moto has no CodeBuild UpdateProject, which the toolkit calls on every deploy after the first one.
    - moto drops a runtime's filesystemConfigurations (session storage), which the local data plane reads.
    """
    from moto.bedrockagentcorecontrol.models import AgentRuntime
    from moto.bedrockagentcorecontrol.models import BedrockAgentCoreControlBackend as Control
    from moto.codebuild.exceptions import ResourceNotFoundException
    from moto.codebuild.responses import CodeBuildResponse
    from moto.core.responses import ActionResult
    from moto.core.utils import unix_time

    if getattr(Control, "_default_endpoint_patched", False):
        return
    create_runtime, update_runtime = Control.create_agent_runtime, Control.update_agent_runtime
    init_model, update_model = AgentRuntime.__init__, AgentRuntime.update

    def service_arn(runtime: Any) -> None:
        where = f"{runtime.region_name}:{runtime.account_id}"
        runtime.agent_runtime_arn = f"arn:aws:bedrock-agentcore:{where}:runtime/{runtime.agent_runtime_id}"
        for version in runtime.versions:
            version["agentRuntimeArn"] = runtime.agent_runtime_arn

    def init_runtime(self: Any, *args: Any, **kwargs: Any) -> None:
        init_model(self, *args, **kwargs)
        service_arn(self)

    def update_runtime_model(self: Any, *args: Any, **kwargs: Any) -> None:
        self.agent_runtime_arn = "agent/moto-parses-this:0"  # moto's update reads its own ARN format
        update_model(self, *args, **kwargs)
        service_arn(self)

    def create_agent_runtime(self: Any, *args: Any, **kwargs: Any) -> Any:
        runtime = create_runtime(self, *args, **kwargs)
        self.create_agent_runtime_endpoint(runtime.agent_runtime_id, "DEFAULT", None, None, None)
        return runtime

    def update_agent_runtime(self: Any, agent_runtime_id: str, *args: Any, **kwargs: Any) -> Any:
        runtime = update_runtime(self, agent_runtime_id, *args, **kwargs)
        endpoint = self.agent_runtime_endpoints.get((agent_runtime_id, "DEFAULT"))
        if endpoint is not None:
            endpoint.agent_runtime_arn = runtime.agent_runtime_arn
            endpoint.target_version = endpoint.live_version = runtime.agent_runtime_version
        return runtime

    def update_project(self: Any) -> ActionResult:
        project = self.codebuild_backend.codebuild_projects.get(self._get_param("name"))
        if project is None:
            raise ResourceNotFoundException(f"Project {self._get_param('name')} does not exist")
        for field in _PROJECT_FIELDS:
            if self._get_param(field) is not None:
                project.project_metadata[field] = self._get_param(field)
        project.project_metadata["lastModifiedDate"] = unix_time()
        return ActionResult({"project": project.project_metadata})

    AgentRuntime.__init__ = init_runtime  # type: ignore[method-assign]
    _keep_filesystem_configurations()
    AgentRuntime.update = update_runtime_model  # type: ignore[method-assign]
    Control.create_agent_runtime = create_agent_runtime  # type: ignore[method-assign]
    Control.update_agent_runtime = update_agent_runtime  # type: ignore[method-assign]
    CodeBuildResponse.update_project = update_project  # type: ignore[attr-defined]
    Control._default_endpoint_patched = True  # type: ignore[attr-defined]


def _keep_filesystem_configurations() -> None:
    """Keep a runtime's `filesystemConfigurations` (session storage, its mounts) through Create and
    UpdateAgentRuntime and answer it in GetAgentRuntime, as the service does; moto 5.2.5 drops it."""
    from moto.bedrockagentcorecontrol.responses import BedrockAgentCoreControlResponse as Responses

    create, update, get = (
        Responses.create_agent_runtime,
        Responses.update_agent_runtime,
        Responses.get_agent_runtime,
    )

    def remember(self: Any, answer: Any) -> Any:
        runtime = self.backend.agent_runtimes.get(answer.result["agentRuntimeId"])
        if runtime is not None:
            runtime.filesystem_configurations = self._get_params().get("filesystemConfigurations")
        return answer

    def create_agent_runtime(self: Any) -> Any:
        return remember(self, create(self))

    def update_agent_runtime(self: Any) -> Any:
        return remember(self, update(self))

    def get_agent_runtime(self: Any) -> Any:
        answer = get(self)
        result: dict[str, Any] = answer.result  # type: ignore[assignment]
        runtime = self.backend.agent_runtimes.get(result["agentRuntimeId"])
        configurations = getattr(runtime, "filesystem_configurations", None)
        if configurations:
            result["filesystemConfigurations"] = configurations
        return answer

    Responses.create_agent_runtime = create_agent_runtime  # type: ignore[method-assign]
    Responses.update_agent_runtime = update_agent_runtime  # type: ignore[method-assign]
    Responses.get_agent_runtime = get_agent_runtime  # type: ignore[method-assign]


_DYNAMODB_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")


def serialize_dynamodb_writes() -> None:
    """Make moto's DynamoDB writes atomic, as DynamoDB's are (idempotent).

    moto 5.2.5 reads the current item, checks a write's condition and then applies it without a lock, so
    two threads of its server could both pass `attribute_not_exists(id)` for one item; DynamoDB never lets
    that happen, and the job tests (20 concurrent resubmissions, one winner) rely on it. One lock over
    every write.
    """
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_writes_serialized", False):
        return
    lock = threading.RLock()

    def serialized(method: Any) -> Any:
        def write(self: Any, *args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(self, *args, **kwargs)

        return write

    for name in _DYNAMODB_WRITES:
        setattr(DynamoDBBackend, name, serialized(getattr(DynamoDBBackend, name)))
    DynamoDBBackend._writes_serialized = True  # type: ignore[attr-defined]
