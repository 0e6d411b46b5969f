"""A loopback stand-in for bedrock-runtime's ConverseStream: real HTTP, real event-stream framing.

botocore talks to it through AWS_ENDPOINT_URL_BEDROCK_RUNTIME exactly as it talks to Bedrock: it signs
the request for the configured region, sends it to /model/{modelId}/converse-stream and decodes the
binary application/vnd.amazon.eventstream answer (or the JSON error) with its own parsers.
"""

from __future__ import annotations

import json
import struct
import threading
import time
import urllib.parse
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    # type 7 = string
    return bytes([len(raw_name)]) + raw_name + b"\x07" + struct.pack(">H", len(raw_value)) + raw_value


def event_message(event_type: str, payload: dict[str, Any]) -> bytes:
    """Encode one event-stream message (prelude, headers, payload, CRCs)."""
    headers = (
        _header(":event-type", event_type)
        + _header(":content-type", "application/json")
        + _header(":message-type", "event")
    )
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + headers + body
    return message + struct.pack(">I", zlib.crc32(message) & 0xFFFFFFFF)


def converse_stream_body(pieces: list[str]) -> bytes:
    """The event stream of an assistant answer made of the given text deltas."""
    events = [("messageStart", {"role": "assistant"})]
    events += [("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": p}}) for p in pieces]
    events += [
        ("contentBlockStop", {"contentBlockIndex": 0}),
        ("messageStop", {"stopReason": "end_turn"}),
        (
            "metadata",
            {"usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5}, "metrics": {"latencyMs": 7}},
        ),
    ]
    return b"".join(event_message(t, p) for t, p in events)


@dataclass
class Reply:
    """What the fake answers: text pieces (200 event stream), or an AWS error, after an optional delay."""

    pieces: list[str] = field(default_factory=lambda: ["Hello", " from", " Bedrock"])
    error_code: str | None = None
    error_message: str = ""
    status: int = 200
    delay: float = 0.0


@dataclass
class Seen:
    """One request as the fake received it."""

    method: str
    path: str
    model_id: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def signed_region(self) -> str:
        """The region in the SigV4 credential scope: Credential=AKID/date/REGION/service/aws4_request."""
        scope = self.headers.get("Authorization", "").split("Credential=", 1)[1].split(",", 1)[0]
        return scope.split("/")[2]

    @property
    def signed_service(self) -> str:
        scope = self.headers.get("Authorization", "").split("Credential=", 1)[1].split(",", 1)[0]
        return scope.split("/")[3]


class FakeBedrock:
    """ThreadingHTTPServer on 127.0.0.1:<ephemeral>; replies are queued, requests are recorded."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.seen: list[Seen] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                path = urllib.parse.urlsplit(self.path).path
                parts = path.split("/")
                model_id = urllib.parse.unquote(parts[2]) if len(parts) > 2 else ""
                fake.seen.append(Seen("POST", path, model_id, dict(self.headers), json.loads(raw or b"{}")))
                reply = fake.replies.pop(0) if fake.replies else Reply()
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    if reply.error_code:
                        body = json.dumps({"message": reply.error_message}).encode()
                        self.send_response(reply.status)
                        self.send_header(
                            "x-amzn-ErrorType", f"{reply.error_code}:http://internal.amazon.com/"
                        )
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                        return
                    body = converse_stream_body(reply.pieces)
                    self.send_response(200)
                    self.send_header("Content-Type", "application/vnd.amazon.eventstream")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a read timeout test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})

    def __enter__(self) -> FakeBedrock:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
