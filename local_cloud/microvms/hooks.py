"""Calling a MicroVM's lifecycle hooks: `POST /aws/lambda-microvms/runtime/v1/{run,resume,suspend,terminate}`
on the image's hook port, success being 200 within the hook's timeout (the developer guide's application
hook interface). /run carries `{"microvmId", "runHookPayload"}`; the others no body.

A hook port that refuses connections is tried again until the timeout (a hook server may start a moment
after the app); an answer other than 200, or none in time, is a failure.
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["HOOK_PATH", "HookCall", "call_hook"]

HOOK_PATH = "/aws/lambda-microvms/runtime/v1/"
OK, FAILED, TIMED_OUT = "ok", "failed", "timed_out"


@dataclass(frozen=True)
class HookCall:
    """One hook call: which, its answer, how it ended, how long it took (s), its timeout (s, scaled)."""

    name: str
    status: int | None
    outcome: str
    seconds: float
    timeout: float
    at: float

    @property
    def ok(self) -> bool:
        """Whether the hook answered 200 in time."""
        return self.outcome == OK

    def view(self) -> dict[str, Any]:
        """As /_local/microvms lists it."""
        return {
            "hook": self.name,
            "status": self.status,
            "outcome": self.outcome,
            "seconds": round(self.seconds, 4),
            "timeout": round(self.timeout, 4),
            "at": round(self.at, 3),
        }


def call_hook(port: int, name: str, timeout: float, body: dict[str, Any] | None = None) -> HookCall:
    """POST the hook and wait for its 200 at most `timeout` seconds."""
    started, at = time.monotonic(), time.time()
    deadline = started + timeout
    data = json.dumps(body).encode() if body is not None else b""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return HookCall(name, None, TIMED_OUT, time.monotonic() - started, timeout, at)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=remaining)
        try:
            conn.request("POST", HOOK_PATH + name, body=data, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = time.monotonic() - started
            if elapsed > timeout:
                return HookCall(name, response.status, TIMED_OUT, elapsed, timeout, at)
            outcome = OK if response.status == 200 else FAILED
            return HookCall(name, response.status, outcome, elapsed, timeout, at)
        except ConnectionRefusedError:
            time.sleep(0.01)
        except TimeoutError:
            return HookCall(name, None, TIMED_OUT, time.monotonic() - started, timeout, at)
        except (OSError, http.client.HTTPException):
            return HookCall(name, None, FAILED, time.monotonic() - started, timeout, at)
        finally:
            conn.close()
