"""The AgentCore layer: the entrypoint wrapper and the exact-JSON middleware; jobs and the Lambda adapter in
their own modules (`shared.agentcore.jobs`, `shared.agentcore.lambda_adapter`), so step 1 never imports boto3.
"""

from .context import exact_payload, request_id, session_id, sum_record
from .endpoint import endpoint, error_response, json_response
from .middleware import MIDDLEWARE

__all__ = [
    "MIDDLEWARE",
    "endpoint",
    "error_response",
    "exact_payload",
    "json_response",
    "request_id",
    "session_id",
    "sum_record",
]
