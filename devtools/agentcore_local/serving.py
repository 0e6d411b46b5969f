"""How a runtime's container serves its app, read from its Dockerfile: ENV lines and uvicorn's CMD options."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

# The steps' Dockerfiles' choices (httptools, no access log, warnings only), for a folder without one.
DEFAULT_UVICORN_ARGS = (
    "--loop", "asyncio", "--http", "httptools", "--no-access-log", "--log-level", "warning"
)  # fmt: skip
DEFAULT_ENV = {"PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING"}


@dataclass(frozen=True)
class Serving:
    """The environment a container image sets and the uvicorn options its CMD passes."""

    env: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ENV))
    uvicorn_args: tuple[str, ...] = DEFAULT_UVICORN_ARGS
    source: str = "default (the steps' Dockerfile choices)"

    def uvicorn_config(self) -> dict[str, object]:
        """The uvicorn.Config keywords for these CLI options (fork mode builds the server in-process)."""
        options: dict[str, object] = {}
        args = list(self.uvicorn_args)
        while args:
            arg = args.pop(0)
            if arg == "--no-access-log":
                options["access_log"] = False
            elif arg in ("--loop", "--http", "--log-level") and args:
                options[arg[2:].replace("-", "_")] = args.pop(0)
            else:
                raise ValueError(f"fork start mode does not know the uvicorn option {arg!r}; use spawn")
        return options


def _env_words(rest: str) -> dict[str, str]:
    words = shlex.split(rest)
    if words and "=" not in words[0]:
        # The legacy form `ENV KEY value with spaces`.
        return {words[0]: " ".join(words[1:])}
    return dict(word.split("=", 1) for word in words if "=" in word)


def read_dockerfile(folder: Path) -> Serving:
    """Serving of <folder>/Dockerfile (ENV lines; the options after `uvicorn <module>:app` in CMD)."""
    path = folder / "Dockerfile"
    if not path.is_file():
        return Serving()
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    env: dict[str, str] = {}
    args: tuple[str, ...] = DEFAULT_UVICORN_ARGS
    for line in text.splitlines():
        line = line.strip()
        if line.upper().startswith("ENV "):
            env.update(_env_words(line[4:]))
        elif line.upper().startswith("CMD [") and "uvicorn" in line:
            cmd = json.loads(line[4:])
            rest = cmd[cmd.index("uvicorn") + 2 :]  # after "uvicorn", "<module>:app"
            keep: list[str] = []
            while rest:
                arg = rest.pop(0)
                if arg in ("--host", "--port"):
                    rest.pop(0)  # the data plane picks the address of each session
                else:
                    keep.append(arg)
            args = tuple(keep)
    return Serving(env, args, f"{path.name} of {folder.name}")
