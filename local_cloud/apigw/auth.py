"""The local API Gateway's inbound auth: API keys (each key one caller) and a JWT-claims mode.

API keys: a request needs `x-api-key` with one of the keys, else API Gateway's `403 {"message":
"Forbidden"}`; the event's `requestContext.identity` then carries `apiKey` and `apiKeyId` (here a stable
id derived from the key, where API Gateway has the key resource's id).

JWT mode stands in for a Cognito user pool authorizer: `Authorization: <token>` (or `Bearer <token>`)
must be a JWT whose payload has a `sub` (and, if it has one, an `exp` in the future), else `401
{"message": "Unauthorized"}`; its claims go to `requestContext.authorizer.claims` as strings, as
Cognito's do. **The signature is not checked**: tokens are unsigned local ones (`local_token`), which is
fine on loopback and nowhere else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from typing import Any


def api_key_id(key: str) -> str:
    """The id the local gateway gives an API key (10 characters, like API Gateway's key ids)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]


def local_token(claims: Mapping[str, Any]) -> str:
    """An unsigned JWT (alg "none") with these claims, for the local gateway's JWT mode."""

    def part(doc: Mapping[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(dict(doc)).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _claims(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


@dataclass(frozen=True)
class Denied:
    """API Gateway's own answer to an unauthenticated request."""

    status: int
    message: str


@dataclass(frozen=True)
class LocalAuth:
    """Which API keys the local gateway accepts, and whether it wants a JWT."""

    api_keys: Sequence[str] = ()
    jwt: bool = False
    _ids: dict[str, str] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._ids.update({key: api_key_id(key) for key in self.api_keys})

    def check(self, headers: Mapping[str, str] | Message) -> tuple[Denied | None, dict[str, Any]]:
        """(API Gateway's refusal, or None; what the event's requestContext gains)."""
        context: dict[str, Any] = {}
        # As on API Gateway, the authorizer answers first, then the API key requirement.
        if self.jwt:
            raw = (headers.get("authorization") or "").strip()
            token = raw[7:].strip() if raw.lower().startswith("bearer ") else raw
            claims = _claims(token) if token else None
            if not claims or not isinstance(claims.get("sub"), str) or not claims["sub"]:
                return Denied(401, "Unauthorized"), {}
            exp = claims.get("exp")
            if isinstance(exp, (int, float)) and exp <= time.time():
                return Denied(401, "The incoming token has expired"), {}
            context["authorizer"] = {"claims": {k: str(v) for k, v in claims.items()}}
        if self._ids:
            key = headers.get("x-api-key")
            if key not in self._ids:
                return Denied(403, "Forbidden"), {}
            context["identity"] = {"apiKey": key, "apiKeyId": self._ids[key]}
        return None, context
