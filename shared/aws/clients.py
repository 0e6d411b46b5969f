"""boto3 clients: one per service per process, built lazily with an explicit Config; the region, once."""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

from ..core.errors import ConfigurationError

__all__ = ["SINK_CONFIG", "client", "new_client", "region", "reset_clients"]

# Sink writes are small: fail fast on a dead endpoint, and let botocore's standard
# mode retry throttling and transient errors before we report SinkThrottled/SinkWriteFailed.
SINK_CONFIG = Config(
    connect_timeout=3,
    read_timeout=10,
    retries={"mode": "standard", "total_max_attempts": 3},
    tcp_keepalive=True,
)

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def region() -> str:
    """Return AWS_REGION, else botocore's region (AWS_DEFAULT_REGION, the profile); fail naming AWS_REGION."""
    # AWS_REGION is what Lambda and AgentCore Runtime set; botocore itself reads only
    # AWS_DEFAULT_REGION and the config file, which remain the fallback.
    name = os.environ.get("AWS_REGION", "").strip() or botocore.session.Session().get_config_variable(
        "region"
    )
    if not name:
        raise ConfigurationError(
            "no AWS region is configured; set the environment variable AWS_REGION", variable="AWS_REGION"
        )
    return str(name)


def new_client(service: str, config: Config = SINK_CONFIG) -> Any:
    """Build a client in this process's region (see region()) with the given Config."""
    # A private session: boto3's default session is not thread-safe to create clients from.
    return boto3.session.Session().client(service, region_name=region(), config=config)


def client(service: str) -> Any:
    """Return this process's client for the service; the endpoint comes from botocore's config."""
    existing = _clients.get(service)
    if existing is not None:
        return existing
    with _lock:
        existing = _clients.get(service)
        if existing is None:
            existing = new_client(service)
            _clients[service] = existing
    return existing


def reset_clients() -> None:
    """Forget the cached clients (tests that change endpoints or credentials)."""
    with _lock:
        _clients.clear()
