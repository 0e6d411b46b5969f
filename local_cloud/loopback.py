"""Loopback networking for the local cloud: a free port, and a ThreadingHTTPServer on 127.0.0.1 served from
a daemon thread (the base of every local plane and front)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TypeVar

__all__ = ["LoopbackHandler", "LoopbackHttpServer", "free_port"]

_S = TypeVar("_S", bound="LoopbackHttpServer")


def free_port() -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LoopbackHandler(BaseHTTPRequestHandler):
    """A quiet HTTP/1.1 handler that answers in one write of headers and one of body."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes: without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every answer.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return  # keep test and demo output readable

    @classmethod
    def bound(cls, owner: Any) -> type[LoopbackHandler]:
        """This handler class with `owner` (the server it answers for) as a class attribute."""
        return type(cls.__name__, (cls,), {"owner": owner})

    def answer(
        self, status: int, body: bytes, headers: Mapping[str, str] | Iterable[tuple[str, str]]
    ) -> None:
        """Send a whole answer in one write (status, Date, headers, Content-Length, Connection: close if
        closing, body): send_response() and end_headers() would write the head and the body apart."""
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        reason = self.responses[status][0] if status in self.responses else ""
        lines = [f"{self.protocol_version} {status} {reason}", f"Date: {self.date_time_string()}"]
        lines += [f"{name}: {value}" for name, value in pairs]
        lines.append(f"Content-Length: {len(body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "strict")
        self.wfile.write(head if self.command == "HEAD" else head + body)


class LoopbackHttpServer:
    """Start, stop and context-manage one threaded HTTP server on 127.0.0.1."""

    thread_name = "loopback-http"

    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        """Return the request handler class, bound to this server."""
        raise NotImplementedError

    def serve(self) -> tuple[str, int]:
        """Start serving in a daemon thread; return the bound (host, port)."""
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), self.handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=self.thread_name, daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        """Stop the server and its thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def wait(self) -> None:
        """Block until the server stops (command-line use)."""
        if self._thread is not None:
            self._thread.join()

    def serve_until_interrupted(self) -> None:
        """Block until Ctrl-C (command-line use), then stop."""
        try:
            self.wait()
        except KeyboardInterrupt:
            self.stop()

    def start(self: _S) -> _S:
        """Start serving and return self."""
        self.serve()
        return self

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
