"""The MicroVMs plane's developer API, apart from the service's own: views of its MicroVMs and images.

- GET /_local/microvms: every MicroVM this plane ran (terminated ones included), with its usage and cost
  (usage.microvm_view: microvm_id, image, state, state_reason, pid, running_seconds, suspended_seconds,
  cpu_seconds, peak_rss_mb, cost_usd, and more)
- GET /_local/images: the images it serves, with their hooks and baseline memory
"""

from __future__ import annotations

from typing import Any

from .models import Plane
from .usage import microvm_view
from .wire import ServiceError

__all__ = ["view"]


def view(plane: Plane, path: str) -> Any:
    """The document GET <path> answers."""
    if path == "/_local/microvms":
        return [microvm_view(vm) for vm in plane.pool.microvms()]
    if path == "/_local/images":
        return plane.image_views()
    raise ServiceError("UnknownOperationException", 404, f"no operation at GET {path}")
