"""agentcore/agentcore.json: the steps as one project of the AgentCore CLI (npm @aws/agentcore), its successor.

Where the CLI is installed (AGENTCORE_CLI names its `agentcore` binary; never PATH's, where the starter
toolkit's `agentcore` lives), its own `agentcore validate` runs. The npm registry here offers 0.30.0 only,
and it does not install (`@aws-sdk/client-s3files@^3.1067.0` has no such version), so otherwise the file
is checked against the rules of that CLI's project schema (dist/schema/schemas/agent-env.js, 0.30.0).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from commands.deploy import STEPS
from tests.commands.deploy.helpers import ROOT

PROJECT = ROOT / "agentcore" / "agentcore.json"
AGENT_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]{0,47}$")
PROJECT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,22}$")
ENTRYPOINT = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9_/.-]*\.(py|ts|js)(:[a-zA-Z_][a-zA-Z0-9_]*)?$")
CLI = os.environ.get("AGENTCORE_CLI", "")


@pytest.mark.skipif(
    not CLI, reason="AgentCore CLI not installed: npm's @aws/agentcore 0.30.0 misses dependencies"
)
def test_the_cli_validates_the_project() -> None:
    result = subprocess.run(
        [CLI, "validate"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_project_has_one_container_runtime_per_step_on_its_own_dockerfile() -> None:
    project = json.loads(PROJECT.read_text())
    assert PROJECT_NAME.match(project["name"]) and project["version"] >= 1 and project["managedBy"] == "CDK"
    runtimes = project["runtimes"]
    assert [r["codeLocation"] for r in runtimes] == sorted(STEPS)
    for runtime in runtimes:
        folder = ROOT / runtime["codeLocation"]
        # The runtime name the CLI makes is <project>_<agent>, at most 48 characters.
        assert AGENT_NAME.match(runtime["name"]) and len(f"{project['name']}_{runtime['name']}") <= 48
        assert runtime["name"] == STEPS[runtime["codeLocation"]].name  # the name make deploy uses
        assert runtime["build"] == "Container" and runtime["dockerfile"] == "Dockerfile"
        assert (folder / runtime["dockerfile"]).is_file()
        assert ENTRYPOINT.match(runtime["entrypoint"]) and (folder / runtime["entrypoint"]).is_file()
        assert runtime.get("networkMode", "PUBLIC") == "PUBLIC"
        names = [env["name"] for env in runtime.get("envVars", [])]
        assert len(names) == len(set(names))
        assert set(runtime) <= {
            "name",
            "build",
            "entrypoint",
            "codeLocation",
            "dockerfile",
            "networkMode",
            "protocol",
            "envVars",
        }


def test_no_step_folder_has_a_pyproject_that_would_shadow_the_root_one() -> None:
    # `agentcore import` copies the root pyproject.toml into an agent folder; a CodeZip build then
    # resolves this whole repository's dev dependencies. None may be committed there.
    assert not [p for p in Path(ROOT).glob("[0-9]_*/pyproject.toml")]
