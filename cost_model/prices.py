"""List-price arithmetic for AWS Lambda and AgentCore Runtime, from the one price table (prices.json)."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

__all__ = ["MB_PER_GB", "PRICES_FILE", "agentcore_session_cost", "load_prices"]

# The one price table, inside this package (the local planes price their usage with it too).
PRICES_FILE = Path(__file__).resolve().parent / "prices.json"
# AgentCore and Lambda both count memory in GB of 1,024 MB (Lambda: 128 MB = 0.125 GB).
MB_PER_GB = 1024


@functools.cache
def load_prices(path: Path = PRICES_FILE) -> dict[str, Any]:
    """Return the price table (source URLs, date read, region, rates)."""
    return dict(json.loads(path.read_text(encoding="utf-8")))


def agentcore_session_cost(
    session_seconds: float,
    cpu_seconds: float,
    peak_memory_mb: float,
    version: str = "v1",
    prices: dict[str, Any] | None = None,
) -> float:
    """Return the USD list price of one AgentCore Runtime session.

    CPU seconds at the vCPU-hour rate; memory at max(peak, 128 MB) for every second of the session,
    rounded up to whole seconds with a 1 s minimum. No allowance for the service's system overhead.
    """
    table = (prices or load_prices())["agentcore"]
    rates = table["platform_versions"][version]
    billed_seconds = max(table["min_billed_seconds"], math.ceil(session_seconds))
    memory_gb = max(peak_memory_mb, table["min_memory_mb"]) / MB_PER_GB
    cpu = cpu_seconds * rates["vcpu_hour"] / 3600
    memory = billed_seconds * memory_gb * rates["gb_hour"] / 3600
    return float(cpu + memory)
