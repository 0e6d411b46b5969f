"""The local cloud's one HTTP client (httpx): send JSON or bytes, get (status, headers, parsed body) back.

What curl does in the READMEs: the planes, the demo, the tests and the command-line views use it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

__all__ = ["call", "events", "get_json"]


def call(
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    timeout: float = 60,
) -> tuple[int, httpx.Headers, Any]:
    """Send a request (a JSON body, raw bytes, or none); return (status, headers, JSON body or None).

    The headers are httpx's case-insensitive mapping, as HTTP header names are."""
    sent = dict(headers or {})
    content: bytes | None = None
    if body is not None:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    # trust_env=False: a developer's HTTP(S)_PROXY must never see loopback traffic.
    response = httpx.request(method, url, content=content, headers=sent, timeout=timeout, trust_env=False)
    return response.status_code, response.headers, response.json() if response.content else None


def get_json(url: str, timeout: float = 10) -> Any:
    """GET a JSON document; an HTTP error status raises."""
    response = httpx.get(url, timeout=timeout, trust_env=False)
    response.raise_for_status()
    return response.json()


def events(
    url: str, body: Any, headers: dict[str, str] | None = None, timeout: float = 120
) -> tuple[int, str, list[Any]]:
    """POST a JSON body; return the server-sent events as their JSON `data:` payloads, else the JSON."""
    with httpx.stream("POST", url, json=body, headers=headers, timeout=timeout, trust_env=False) as response:
        status, kind = response.status_code, response.headers.get("content-type", "")
        text = response.read().decode()
    if not kind.startswith("text/event-stream"):
        return status, kind, [json.loads(text or "{}")]
    return status, kind, [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
