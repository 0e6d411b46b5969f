"""boto3 clients: one per service per process, built lazily with an explicit Config."""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import NoRegionError

from .errors import ConfigurationError

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


def new_client(service: str, config: Config = SINK_CONFIG) -> Any:
    """Build a client in AWS_REGION (else botocore's region); a missing region names AWS_REGION."""
    # AWS_REGION is what Lambda and AgentCore Runtime set; botocore itself reads only
    # AWS_DEFAULT_REGION and the config file, which remain the fallback.
    region = os.environ.get("AWS_REGION", "").strip() or None
    try:
        # A private session: boto3's default session is not thread-safe to create clients from.
        return boto3.session.Session().client(service, region_name=region, config=config)
    except NoRegionError as exc:
        raise ConfigurationError(
            "no AWS region is configured; set the environment variable AWS_REGION",
            variable="AWS_REGION",
        ) from exc


def client(service: str) -> Any:
    """Return this process's client for the service; region and endpoint come from botocore's config."""
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
