"""Helpers for the local cloud's command tests: a command run as a user runs it, read line by line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from commands.steps import ROOT
from local_cloud.loopback import free_port
from tests.commands.deploy.helpers import readme_block, readme_commands
from tests.helpers import running


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
