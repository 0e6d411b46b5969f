"""Reading settings from the environment: required values, bounded integers, the log level; and the
runtime's limits every slice agrees on. Each feature keeps its own variables and settings objects
(`shared.sinks.settings`, `shared.jobs.settings`, `shared.runtime.settings`, `shared.apigw.settings`,
`shared.model.bedrock`)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from .errors import ConfigurationError

__all__ = [
    "DEFAULT_MAX_LIFETIME_SECONDS",
    "HOOKS_PORT",
    "LOG_LEVEL",
    "MAX_DELAY_SECONDS",
    "MAX_LIFETIME_LIMIT_SECONDS",
    "SESSION_STORAGE_PATH",
    "int_setting",
    "log_level",
    "require",
]

LOG_LEVEL = "LOG_LEVEL"
# The runtime's maximum session lifetime on microVMs (8 h): a longer delay could never finish there.
MAX_DELAY_SECONDS = 28_800
# The service's default maxLifetime; the Instances compute type allows up to 14 days.
DEFAULT_MAX_LIFETIME_SECONDS = 28_800
MAX_LIFETIME_LIMIT_SECONDS = 1_209_600
# Where a session keeps files that outlive its process: on AgentCore the runtime's environment sets it to
# its session storage mount path (filesystemConfigurations[].sessionStorage.mountPath); a local data plane
# sets it to the session's own directory.
SESSION_STORAGE_PATH = "SESSION_STORAGE_PATH"
# The port a Lambda MicroVM image's lifecycle hooks listen on (its Hooks.Port, set in the image's
# environment); a local MicroVMs plane sets it to a loopback port of its own, as PORT stands for 8080.
HOOKS_PORT = "HOOKS_PORT"


def require(name: str, environ: Mapping[str, str] | None = None) -> str:
    """Return a required, non-empty setting or raise ConfigurationError naming it."""
    value = (os.environ if environ is None else environ).get(name, "").strip()
    if not value:
        raise ConfigurationError(f"the environment variable {name} is not set", variable=name)
    return value


def int_setting(
    name: str, default: int, low: int, high: int, environ: Mapping[str, str] | None = None
) -> int:
    """Return an integer setting within [low, high], its default when unset."""
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ConfigurationError(
            f"the environment variable {name} must be an integer from {low} to {high}, got {raw!r}",
            variable=name,
        )
    return value


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def log_level(environ: Mapping[str, str] | None = None, default: str = "INFO") -> str:
    """Return LOG_LEVEL as a level name the logging module knows; the default when unset or unknown."""
    # An unknown level must not crash a process at import: it falls back, and the logs still flow.
    level = (os.environ if environ is None else environ).get(LOG_LEVEL, "").strip().upper()
    return level if level in _LOG_LEVELS else default
