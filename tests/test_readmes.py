"""Every command a README shows works when pasted at the repository root after `make demo`: no bare
`python -m`, and the project's tools (its console scripts, aws, agentcore, sam, uv) named by their path
in .venv/bin unless the block activates the venv first."""

from __future__ import annotations

import re
import subprocess
import tomllib

import pytest

from tests.helpers import ROOT

# The tools the bootstrap puts in .venv/bin that a fresh shell does not have on PATH.
VENV_TOOLS = {
    "aws",
    "agentcore",
    "sam",
    "uv",
    "moto_server",
    *tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"],
}
BLOCK = re.compile(r"^```(?:bash|sh|shell)\n(.*?)^```", re.M | re.S)
ACTIVATE = re.compile(r"^\s*(?:source|\.)\s+\S*\.venv/bin/activate", re.M)


def readmes() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "*.md"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [path for path in listed.stdout.split() if path.endswith("README.md")]


def commands(line: str) -> list[str]:
    """The first word of each command of a shell line (after `&&`, `;`, `|`, `$(`, `(` and `then`/`do`)."""
    code = line.split(" #")[0]
    parts = re.split(r"&&|\|\||;|\||\$\(|\(|\bthen\b|\bdo\b", code)
    words = [part.split() for part in parts]
    found = []
    for word in words:
        while word and "=" in word[0] and not word[0].startswith(("-", "'", '"')):
            word = word[1:]  # VAR=value before a command
        if word:
            found.append(word[0])
    return found


@pytest.mark.parametrize("path", readmes())
def test_readme_commands_work_when_pasted(path: str) -> None:
    problems = []
    # A README is read in order, in one shell: once a block activates the venv, the blocks after it have it.
    activated = False
    for block in BLOCK.findall((ROOT / path).read_text()):
        activated = activated or bool(ACTIVATE.search(block))
        for line in block.replace("\\\n", " ").splitlines():
            if re.search(r"(^|[\s;&|(])python3? -m ", line):
                problems.append(f"bare python -m: {line.strip()}")
            if activated:
                continue
            for word in commands(line):
                if word in VENV_TOOLS:
                    problems.append(f"{word} without .venv/bin/ (or activate the venv first): {line.strip()}")
    assert not problems, f"{path}:\n" + "\n".join(problems)
