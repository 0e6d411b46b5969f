"""The API Gateway layer: what a Lambda in front of AgentCore stands on (Powertools' resolver, set up once).

Beside `shared.agentcore` above `shared.aws`: it never imports the AgentCore SDK, which a Lambda lacks.
"""

from .api import error_reply, json_payload, new_resolver, reply, request_id, routed, routes

__all__ = ["error_reply", "json_payload", "new_resolver", "reply", "request_id", "routed", "routes"]
