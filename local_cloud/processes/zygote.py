"""Fork start mode: one pre-imported process per program that forks a child per session or MicroVM.

Started as `python -m local_cloud.processes.zygote SCRIPT`, it imports SCRIPT's module once (the half
second a fresh interpreter spends on imports: the state a snapshot would hold), says `{"type": "ready",
...}` on stdout, then reads one JSON request a line on stdin. For `{"op": "fork", "id": N, "log": PATH}`
it picks a free loopback port, forks, answers `{"type": "forked", "id": N, "pid", "port"}`, and the child
runs SCRIPT as `__main__` with PORT set and the request's own `"env"` (as the image's `python agent.py`
does: the step serves itself, its imports already done), its output in PATH. Each child it
reaps is reported as `{"type": "exited", "pid", "status", "utime", "stime", "maxrss"}` (wait4's
rusage). The children share nothing but the pages they inherited (copy on write): one process per
session still, as one microVM per session. Stdin at EOF (the data plane gone) ends every child.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import resource
import runpy
import select
import signal
import socket
import sys
import tempfile
import threading
from typing import Any

_children: set[int] = set()
# The protocol's own copy of stdout: fd 1 itself goes to the log, so an app that prints cannot garble it.
_PROTOCOL_FD = os.dup(1)
os.dup2(2, 1)


def _say(message: dict[str, Any]) -> None:
    os.write(_PROTOCOL_FD, (json.dumps(message) + "\n").encode())


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this child when the zygote dies (no-op elsewhere)."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _serve_child(script: str, port: int, log: str, env: dict[str, str]) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.close(_PROTOCOL_FD)
    _die_with_parent()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    os.environ.update(env)
    os.environ["PORT"] = str(port)
    # tempfile caches the directory it found at import; this child's TMPDIR (its own disk) is read anew.
    tempfile.tempdir = None
    runpy.run_path(script, run_name="__main__")


def _fork(script: str, request: dict[str, Any]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            _serve_child(script, port, request["log"], dict(request.get("env") or {}))
        except BaseException:
            code = 1
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    _children.add(pid)
    _say({"type": "forked", "id": request["id"], "pid": pid, "port": port})


def _reap() -> None:
    while _children:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _children.discard(pid)
        _say(
            {
                "type": "exited",
                "pid": pid,
                "status": status,
                "utime": usage.ru_utime,
                "stime": usage.ru_stime,
                "maxrss": usage.ru_maxrss,
            }
        )


def main(argv: list[str]) -> int:
    """Import the program, then fork a child per request until stdin closes."""
    (script,) = argv
    folder, module = os.path.split(os.path.abspath(script))
    sys.path.insert(0, folder)
    importlib.import_module(module.removesuffix(".py"))
    # Import what the children's uvicorn will need, so a fork does not pay for it either.
    import uvicorn.loops.asyncio
    import uvicorn.protocols.http.httptools_impl

    del uvicorn

    used = resource.getrusage(resource.RUSAGE_SELF)
    # Forking a process with threads copies only the forking one: locks other threads held stay held.
    threads = threading.active_count()
    _say({"type": "ready", "cpu_seconds": used.ru_utime + used.ru_stime, "threads": threads})
    if threads != 1:
        print(f"zygote: {threads} threads after importing {module}; forking is unsafe", file=sys.stderr)
        return 1
    pending = b""
    while True:
        # Raw reads: a buffered readline could keep a second request where select cannot see it.
        ready, _, _ = select.select([0], [], [], 0.1)
        if ready:
            chunk = os.read(0, 65536)
            if not chunk:
                break
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                _fork(script, json.loads(line))
        _reap()
    for pid in list(_children):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
            # A suspended (SIGSTOPped) child would keep its SIGTERM pending for ever.
            os.kill(pid, signal.SIGCONT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
