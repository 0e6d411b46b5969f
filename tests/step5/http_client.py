"""A tiny urllib client for the local API Gateway (what curl does in the README)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def call(
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    timeout: float = 60,
) -> tuple[int, dict[str, str], Any]:
    """Send a request; return (status, headers, parsed JSON body or None)."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    sent = (
        {"Content-Type": "application/json", **(headers or {})} if data is not None else dict(headers or {})
    )
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            status, got, raw = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        status, got, raw = err.code, dict(err.headers), err.read()
    return status, got, json.loads(raw) if raw else None
