"""Section 1b: instructions per step 1 invocation against the bare app, counted by valgrind's callgrind.

Requests/s on a shared machine move by several percent from run to run; instruction counts move by
about 1% (the thread-pool hop is scheduled differently under valgrind from run to run).
Each app answers N requests in-process through its full ASGI stack (middleware, routing, the SDK's
thread-pool hop, the entrypoint, the response); running 2N and N requests and subtracting removes the
interpreter's start-up and imports, leaving the instructions of N invocations. HTTP parsing and the
event loop's socket work are the same for both apps and are not part of it.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .context import Context
from .report import Section, Target
from .servers import BENCH, ROOT

GOAL = 1 / 0.95  # the same goal as section 1, as a cost: at most 1.053x the bare app's instructions
APPS = {"step 1": ROOT / "1_compute_without_model" / "agent.py", "bare": BENCH / "bare_app.py"}
COUNTS = (200, 1200)
BODY = b'{"prompt": {"a": 1, "b": 2}}'


def serve_in_process(path: str, count: int) -> None:
    """Load the app at `path` and answer `count` POST /invocations through its ASGI interface."""
    import importlib.util

    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path[:0] = [str(ROOT), str(Path(path).parent)]
    spec = importlib.util.spec_from_file_location("bench_app", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.app
    # Logging as `python agent.py` leaves it (serve() configures it; importing a step configures nothing),
    # so both apps log at the served level and only the code in the request path differs.
    from shared.agentcore.endpoint import configure_logging
    from shared.agentcore.serving import SERVED_LOG_LEVEL

    configure_logging(default=SERVED_LOG_LEVEL)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/invocations", "raw_path": b"/invocations", "query_string": b"",
        "root_path": "", "server": ("127.0.0.1", 8080), "client": ("127.0.0.1", 50000),
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())],
    }  # fmt: skip

    async def main() -> None:
        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": BODY, "more_body": False}

        for _ in range(count):
            status: list[int] = []

            async def send(message: dict[str, object], status: list[int] = status) -> None:
                if message["type"] == "http.response.start":
                    status.append(int(message["status"]))  # type: ignore[call-overload]

            await app(dict(scope), receive, send)
            if status != [200]:
                raise SystemExit(f"{path} answered {status}")

    asyncio.run(main())


def _instructions(path: Path, count: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             sys.executable, "-m", "bench.instructions", str(path), str(count)],
            # LOG_LEVEL from the start, as a runtime's environment would set it.
            cwd=ROOT, capture_output=True, text=True, check=False, env={**os.environ, "LOG_LEVEL": "WARNING"},
        )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"callgrind failed for {path}:\n{done.stderr[-2000:]}")
    match = re.search(r"refs:\s+([\d,]+)", done.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count in callgrind's output for {path}")
    return int(match.group(1).replace(",", ""))


def run(ctx: Context) -> Section:
    title = "1b. Step 1 instructions per invocation vs the bare app (callgrind, in-process ASGI)"
    if shutil.which("valgrind") is None:
        return Section(title, skipped="valgrind is not installed (e.g. apt-get install valgrind)")
    section = Section(title, columns=["app", "instructions per invocation", "vs bare"])
    small, large = COUNTS
    per_call = {
        name: (_instructions(path, large) - _instructions(path, small)) / (large - small)
        for name, path in APPS.items()
    }
    ratio = per_call["step 1"] / per_call["bare"]
    for name in APPS:
        section.rows.append([name, f"{per_call[name]:,.0f}", f"{ratio:.3f}x" if name == "step 1" else "1"])
    section.targets.append(
        Target("step 1 / bare instructions per invocation", f"{ratio:.3f}x", f"<= {GOAL:.3f}x", ratio <= GOAL)
    )
    section.notes.append(
        f"valgrind --tool=callgrind on {large} and {small} in-process requests per app, the difference "
        f"divided by {large - small}: start-up and imports cancel out. The count does not depend on how "
        "busy the machine is; it varies by about 1% between runs."
    )
    return section


if __name__ == "__main__":
    serve_in_process(sys.argv[1], int(sys.argv[2]))
