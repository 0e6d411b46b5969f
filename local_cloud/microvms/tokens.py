"""The tokens of CreateMicrovmAuthToken: scoped to one MicroVM, a set of ports and an expiry.

The service's are encrypted JWE strings (the developer guide's networking page); these are opaque to
clients too, but only signed (HMAC-SHA256 with a key that lives as long as the plane), which is all a
loopback endpoint needs: a token names its MicroVM, its allowed ports and its expiry, and none can be
made or altered without the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

__all__ = ["TokenIssuer", "TokenRefused"]

_PREFIX = "lmvt"


class TokenRefused(Exception):
    """A token the endpoint does not accept: why, for the 403's message."""


@dataclass(frozen=True)
class Grant:
    """What a valid token allows: a MicroVM, port ranges, until when (epoch seconds)."""

    microvm_id: str
    ports: tuple[tuple[int, int], ...]
    expires_at: float

    def allows(self, port: int) -> bool:
        """Whether the port is in one of the token's allowed ranges."""
        return any(low <= port <= high for low, high in self.ports)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Makes and checks tokens with one secret key; `time_scale` divides their lifetime (tests)."""

    def __init__(self, time_scale: float = 1.0) -> None:
        self._key = secrets.token_bytes(32)
        self.time_scale = time_scale
        # Tokens already verified (their grants), so a warm call pays no signature check.
        self._verified: dict[str, Grant] = {}

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def mint(self, microvm_id: str, minutes: int, ports: list[tuple[int, int]]) -> str:
        """A token for this MicroVM and these ports, valid `minutes` (divided by the time scale)."""
        expires = time.time() + minutes * 60 / self.time_scale
        claims = {"mvm": microvm_id, "ports": ports, "exp": round(expires, 3), "n": secrets.token_hex(4)}
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{_PREFIX}.{body}.{self._sign(body)}"

    def check(self, token: str, microvm_id: str) -> Grant:
        """The grant of a token for this MicroVM; TokenRefused if forged, expired or another's."""
        grant = self._verified.get(token) or self._verify(token)
        if grant.microvm_id != microvm_id:
            raise TokenRefused("the X-aws-proxy-auth token is for another MicroVM")
        if time.time() >= grant.expires_at:
            raise TokenRefused("the X-aws-proxy-auth token has expired")
        if len(self._verified) >= 4096:
            self._verified.clear()
        self._verified[token] = grant
        return grant

    def _verify(self, token: str) -> Grant:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _PREFIX:
            raise TokenRefused("the X-aws-proxy-auth token is not one CreateMicrovmAuthToken gave")
        _, body, signature = parts
        if not hmac.compare_digest(signature, self._sign(body)):
            raise TokenRefused("the X-aws-proxy-auth token is invalid")
        try:
            claims = json.loads(_unb64(body))
            grant = Grant(
                str(claims["mvm"]), tuple((int(a), int(b)) for a, b in claims["ports"]), float(claims["exp"])
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenRefused("the X-aws-proxy-auth token is invalid") from exc
        return grant
