"""The local data plane's developer API, apart from the service's own: views of its sessions,
invocations and runtimes (GET /_local/...), and faults on demand (POST /_local/...).

- GET /_local/sessions, /_local/invocations, /_local/runtimes
- POST /_local/faults {"code", "status", "times", "message"}: the next invocations answer that error
- POST /_local/sessions/{kill,stop,expire} {"runtime_arn", "session_id", ("signal" | "reason")}
"""

from __future__ import annotations

import signal
from dataclasses import asdict
from typing import Any

from . import wire
from .models import ENDED_REASONS, Plane
from .wire import ServiceError

__all__ = ["act", "view"]


def view(plane: Plane, path: str) -> Any:
    """The document GET <path> answers."""
    if path == "/_local/sessions":
        return [s.view() for s in plane.pool.sessions()]
    if path == "/_local/invocations":
        return [asdict(i) for i in list(plane.invocations)]
    if path == "/_local/runtimes":
        return plane.runtime_views()
    raise ServiceError("UnknownOperationException", 404, f"no operation at GET {path}")


def act(plane: Plane, path: str, doc: dict[str, Any]) -> dict[str, Any]:
    """Do what POST <path> asks; the document it answers."""
    if path == "/_local/faults":
        times = int(doc.get("times", 1))
        plane.inject(doc["code"], int(doc["status"]), times, doc.get("message"))
        return {"injected": times}
    action = path.removeprefix("/_local/sessions/")
    if action not in ("kill", "stop", "expire"):
        raise ServiceError("UnknownOperationException", 404, f"no operation at POST {path}")
    arn, session_id = doc["runtime_arn"], doc["session_id"]
    if action == "kill":
        done = plane.kill(arn, session_id, signal.Signals[doc.get("signal", "SIGKILL")])
    elif action == "stop":
        done = plane.stop_session(arn, session_id)
    else:
        reason = doc.get("reason", "idle")
        if reason not in ENDED_REASONS:
            raise wire.validation(f"reason is one of {', '.join(ENDED_REASONS)}")
        done = plane.expire(arn, session_id, reason)
    if not done:
        raise wire.not_found(f"no running session {session_id} of {arn}")
    return {action: session_id}
