"""Fixtures for the infrastructure tests: template paths, an embedded AWS, no network but loopback."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.emulator import EmbeddedAws

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TEMPLATES = sorted(INFRA.glob("*.yaml")) + sorted(INFRA.glob("*.json"))


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection that leaves the machine (the offline tools must not need one)."""
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
            raise OSError(f"network access attempted in an offline test: {address!r}")
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture(scope="module")
def infra_aws() -> Iterator[EmbeddedAws]:
    """moto's server on a loopback port, for this module's stacks."""
    with EmbeddedAws(region="us-east-1") as server:
        yield server
