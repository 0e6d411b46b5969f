"""Runtime session ids a front derives from its callers' own: stable per caller, unreachable by others.

A runtime session id names a microVM: passing a caller's X-Session-Id through unchanged lets any caller
land in any other caller's session. The front instead sends HMAC-SHA256(secret, caller, given id): the
same caller with the same id always reaches the same session; another caller sending the same id gets
another session; and without the secret nobody can compute the id a caller's session has.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

__all__ = ["SCOPED_PREFIX", "derived_session_id", "fresh_session_id", "scoped_session_id"]

# 6 + 64 hex characters: inside InvokeAgentRuntime's 33 to 256.
SCOPED_PREFIX = "apigw-"


def scoped_session_id(secret: bytes, caller: str | None, given: str) -> str:
    """The runtime session id for a caller's own session id."""
    # JSON keeps caller and id apart whatever characters they hold.
    message = json.dumps([caller or "", given]).encode("utf-8")
    return SCOPED_PREFIX + hmac.new(secret, message, hashlib.sha256).hexdigest()


def fresh_session_id(prefix: str = SCOPED_PREFIX) -> str:
    """A new random runtime session id (for a session the front opens for one request or one job)."""
    return f"{prefix}{uuid.uuid4()}"


def derived_session_id(prefix: str, source_id: str) -> str:
    """The runtime session id of a source id (an event's, a message's): the same id, the same session."""
    # A digest keeps any id inside InvokeAgentRuntime's 33 to 256 characters (prefix + 64 hex characters).
    return prefix + hashlib.sha256(source_id.encode("utf-8")).hexdigest()
