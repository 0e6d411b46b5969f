"""The AgentCore glue every step takes: the entrypoint wrapper, the exact-JSON middleware, what the runtime
tells an invocation. Serving is `shared.agentcore.serving`; the Lambda adapter
`shared.agentcore.lambda_adapter`.
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
