"""The Lambda context object as Lambda's Python runtime passes it to a handler: one class for every place
a handler runs outside Lambda (the adapter on AgentCore, the local cloud's Lambda runs, the tests)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LOCAL_ACCOUNT", "LambdaContext"]

# The account local runs name in ARNs (moto's default account).
LOCAL_ACCOUNT = "123456789012"


@dataclass
class LambdaContext:
    """The attributes and method of the runtime's context object (what Powertools' Logger reads too)."""

    function_name: str = "local-function"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    function_version: str = "$LATEST"
    # A string, as Lambda's Python runtime reads it from AWS_LAMBDA_FUNCTION_MEMORY_SIZE.
    memory_limit_in_mb: str = "128"
    log_group_name: str = ""
    log_stream_name: str = ""
    # time.monotonic() at the function's timeout.
    deadline: float = 0.0
    # Mobile-SDK fields: never set for API Gateway, event sources or direct invocations on Lambda either.
    identity: Any = None
    client_context: Any = None
    # Set for functions in tenant isolation mode (the invoke's TenantId).
    tenant_id: str | None = None

    def __post_init__(self) -> None:
        if not self.invoked_function_arn:
            self.invoked_function_arn = (
                f"arn:aws:lambda:us-east-1:{LOCAL_ACCOUNT}:function:{self.function_name}"
            )
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self.log_stream_name = (
            self.log_stream_name or f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        )
        self.deadline = self.deadline or time.monotonic() + 3.0

    @classmethod
    def for_invocation(
        cls,
        function_name: str,
        region: str,
        timeout_seconds: float,
        account: str = LOCAL_ACCOUNT,
        **fields: Any,
    ) -> LambdaContext:
        """A context for one invocation of a function in this region and account, with this timeout."""
        return cls(
            function_name=function_name,
            invoked_function_arn=f"arn:aws:lambda:{region}:{account}:function:{function_name}",
            deadline=time.monotonic() + timeout_seconds,
            **fields,
        )

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        return max(0, int((self.deadline - time.monotonic()) * 1000))
