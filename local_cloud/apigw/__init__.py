"""A local API Gateway (REST API, Lambda proxy integration) in front of a Lambda handler, with API
Gateway's own answers (CORS preflight, 403s, inbound auth, integration timeout) emulated."""

from .auth import api_key_id, local_token
from .gateway import LocalApiGateway, openapi_routes, response_headers
from .process import ApiGatewayProcess

__all__ = [
    "ApiGatewayProcess",
    "LocalApiGateway",
    "api_key_id",
    "local_token",
    "openapi_routes",
    "response_headers",
]
