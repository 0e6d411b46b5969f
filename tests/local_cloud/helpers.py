"""Helpers for the local cloud's command tests: a command run as a user runs it, read line by line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from queue import Empty, Queue

from commands.steps import ROOT
from local_cloud.loopback import free_port
from tests.commands.deploy.helpers import readme_block, readme_commands


@contextmanager
def running(
    args: list[str], until: list[re.Pattern[str]], timeout: float = 60, env: dict[str, str] | None = None
) -> Iterator[tuple[list[str], list[re.Match[str]]]]:
    """Start the command, read its stdout until every pattern has matched a line; SIGTERM it after."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **(env or {})}
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stderr is not None
    lines: list[str] = []
    found: dict[int, re.Match[str]] = {}
    # A thread reads stdout: a select() on the pipe misses lines already in the reader's buffer.
    queue: Queue[str] = Queue()
    threading.Thread(target=lambda: [queue.put(line) for line in process.stdout], daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        while len(found) < len(until):
            try:
                line = queue.get(timeout=max(0.01, deadline - time.monotonic())).rstrip("\n")
            except Empty:
                raise AssertionError(f"{args} printed {lines}; exit {process.poll()}") from None
            lines.append(line)
            for n, pattern in enumerate(until):
                if n not in found and (match := pattern.match(line)):
                    found[n] = match
        yield lines, [found[n] for n in range(len(until))]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
        lines.append(process.stderr.read())


@contextmanager
def readme_server(readme: Path, containing: str, line: re.Pattern[str]) -> Iterator[int]:
    """A README's one-line server command (the bash block containing the text), run on a free port (and a
    1 s stop grace) until its line is printed; yield the port, SIGTERM it after."""
    [serve] = readme_commands(readme_block(readme, containing))
    port = free_port()
    args = [
        *serve.replace(".venv/bin/", f"{ROOT}/.venv/bin/").split(),
        "--port",
        str(port),
        "--stop-grace",
        "1",
    ]
    with running(args, [line]):
        yield port
