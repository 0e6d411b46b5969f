"""Step 5's front: who its callers are, the key it derives their runtime session ids with, CORS and the
jobs table it reads."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..core.errors import ConfigurationError
from ..core.settings import require

__all__ = [
    "ALLOWED_ORIGIN",
    "CALLER_IDENTITIES",
    "CALLER_IDENTITY",
    "JOBS_TABLE_NAME",
    "SESSION_ID_SECRET",
    "CallerSettings",
    "session_secret",
]

ALLOWED_ORIGIN = "ALLOWED_ORIGIN"
JOBS_TABLE_NAME = "JOBS_TABLE_NAME"
# Who the caller is (none: every caller is one tenant; api_key: API Gateway's apiKeyId; jwt: the
# authorizer's sub claim), and the key the proxy derives runtime session ids with.
CALLER_IDENTITY = "CALLER_IDENTITY"
CALLER_IDENTITIES = ("none", "api_key", "jwt")
SESSION_ID_SECRET = "SESSION_ID_SECRET"  # noqa: S105  # nosec B105: the variable's name, not a secret
MIN_SESSION_SECRET_CHARS = 16


@dataclass(frozen=True)
class CallerSettings:
    """How the step 5 proxy tells its callers apart."""

    identity: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CallerSettings:
        """Read CALLER_IDENTITY: none (the default: every caller is one tenant), api_key or jwt."""
        env = os.environ if environ is None else environ
        identity = env.get(CALLER_IDENTITY, "").strip().lower() or "none"
        if identity not in CALLER_IDENTITIES:
            raise ConfigurationError(
                f"{CALLER_IDENTITY} must be one of {', '.join(CALLER_IDENTITIES)}, got {identity!r}",
                variable=CALLER_IDENTITY,
            )
        return cls(identity=identity)


def session_secret(environ: Mapping[str, str] | None = None) -> bytes:
    """Read SESSION_ID_SECRET, the key the proxy derives runtime session ids with (16 characters or more)."""
    secret = require(SESSION_ID_SECRET, environ)
    if len(secret) < MIN_SESSION_SECRET_CHARS:
        raise ConfigurationError(
            f"{SESSION_ID_SECRET} must be at least {MIN_SESSION_SECRET_CHARS} characters",
            variable=SESSION_ID_SECRET,
        )
    return secret.encode("utf-8")
