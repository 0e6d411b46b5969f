"""A local plane served in the foreground until Ctrl-C or SIGTERM, which stop it and all it started."""

from __future__ import annotations

import argparse
import contextlib
import signal
from collections.abc import Callable
from typing import Any

from local_cloud.loopback import LoopbackHttpServer

from .errors import fail

__all__ = ["positive_number", "serve_foreground"]


def positive_number(text: str) -> float:
    """An argparse type for a plane's timings and scales: a number above zero."""
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def serve_foreground(server: LoopbackHttpServer, port: int, lines: Callable[[], list[str]]) -> int:
    """Start the server, print its lines (the last one says where it serves), serve until interrupted."""
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.start()
    except OSError as exc:
        return fail(f"cannot serve on 127.0.0.1:{port} ({exc.strerror}); pick another --port")
    # Around everything: a SIGTERM that lands while printing or serving also unwinds through stop().
    try:
        with contextlib.suppress(KeyboardInterrupt):
            for line in lines():
                print(line, flush=True)
            server.wait()
    finally:
        server.stop()
    return 0
