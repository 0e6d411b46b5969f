"""Who is calling, from what API Gateway's inbound auth put in a REST (v1) event's requestContext.

- `api_key`: the method requires an API key; API Gateway sets `identity.apiKeyId` (the key's id, not its
  value) for a request with a valid key: every key is one caller.
- `jwt`: a Cognito user pool (or JWT) authorizer; its claims arrive in `authorizer.claims` (REST) or
  `authorizer.jwt.claims` (HTTP API payload 2.0): the caller is the `sub` claim, within its issuer.
- `none`: no inbound auth: every caller is one tenant (None).

API Gateway has already authenticated the request by the time the function runs; a mode that expects an
identity the event lacks is a deployment error, answered 403 rather than served as the shared tenant.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import AppError

__all__ = ["CallerUnknown", "caller_of"]


class CallerUnknown(AppError):
    """The API expects an authenticated caller, and the request names none."""

    status = 403
    code = "CallerUnknown"


def caller_of(request_context: dict[str, Any] | None, identity: str) -> str | None:
    """The caller's scope ("key:<apiKeyId>", "sub:<issuer> <sub>"), or None when every caller is one."""
    if identity == "none":
        return None
    context = request_context or {}
    if identity == "api_key":
        key_id = (context.get("identity") or {}).get("apiKeyId")
        if isinstance(key_id, str) and key_id:
            return f"key:{key_id}"
        raise CallerUnknown("the request carries no API key id (CALLER_IDENTITY=api_key)")
    authorizer = context.get("authorizer") or {}
    claims = authorizer.get("claims") or (authorizer.get("jwt") or {}).get("claims") or {}
    sub = claims.get("sub") if isinstance(claims, dict) else None
    if isinstance(sub, str) and sub:
        # `sub` is unique within its issuer (one user pool); two issuers may reuse a value.
        return f"sub:{claims.get('iss') or ''} {sub}"
    raise CallerUnknown("the request carries no sub claim from an authorizer (CALLER_IDENTITY=jwt)")
