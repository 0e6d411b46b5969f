"""A Lambda context as Lambda's Python runtime passes it, for handlers run here (tests, local API Gateway)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

LOCAL_ACCOUNT = "123456789012"


@dataclass
class LambdaContext:
    """The attributes and method of the runtime's context object (what Powertools' Logger reads too)."""

    function_name: str = "agentcore-proxy"
    region: str = "us-east-1"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    timeout_seconds: float = 28.0
    invoked_function_arn: str = ""
    function_version: str = "$LATEST"
    # A string, as Lambda's Python runtime reads it from AWS_LAMBDA_FUNCTION_MEMORY_SIZE.
    memory_limit_in_mb: str = "256"
    log_group_name: str = ""
    log_stream_name: str = ""
    identity: Any = None
    client_context: Any = None
    deadline: float = 0.0

    def __post_init__(self) -> None:
        if not self.invoked_function_arn:
            self.invoked_function_arn = (
                f"arn:aws:lambda:{self.region}:{LOCAL_ACCOUNT}:function:{self.function_name}"
            )
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self.log_stream_name = self.log_stream_name or f"2026/01/01/[$LATEST]{uuid.uuid4().hex}"
        self.deadline = self.deadline or time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        return max(0, int((self.deadline - time.monotonic()) * 1000))
