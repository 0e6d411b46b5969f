"""on_lambda/microvm/README.md's commands that run here, as a user pastes them: the local plane, the AWS
CLI's lambda-microvms calls and curl with the token; the image's zip. (Its deploy and AWS blocks need an
account with Lambda MicroVMs.)"""

from __future__ import annotations

import json
import re
import zipfile

import pytest

from commands.steps import ROOT
from tests.commands.deploy.helpers import bash, readme_block, readme_commands
from tests.local_cloud.helpers import readme_server

README = ROOT / "on_lambda" / "microvm" / "README.md"
PLANE_LINE = re.compile(r"^Lambda MicroVMs plane at (http://127\.0\.0\.1:\d+)$")


@pytest.mark.slow  # eight AWS CLI processes and 7 s of sleeps
def test_the_local_block_runs_as_written() -> None:
    session = readme_block(README, "AWS_ENDPOINT_URL_LAMBDA_MICROVMS=")
    with readme_server(README, "microvms-local --image", PLANE_LINE) as port:
        output = bash(session.replace("8082", str(port)), timeout=120).splitlines()

    first, state, second, views = (
        json.loads(output[0]),
        output[1],
        json.loads(output[2]),
        json.loads(output[3]),
    )
    assert (first["result"], first["calls_in_memory"], first["run_payload"]) == (3, 1, "tenant-7")
    assert state.split() == ["SUSPENDED", "IDLE_TIMEOUT"]
    # Auto-resumed: the same process and its memory.
    assert (second["result"], second["calls_in_memory"], second["pid"]) == (4, 2, first["pid"])
    [view] = views
    # TerminateMicrovm answers at once; the MicroVM is TERMINATING until its /terminate hook and SIGTERM are done.
    assert view["state"] in ("TERMINATING", "TERMINATED")
    assert (view["state_reason"], view["pid"]) == ("USER_REQUEST", first["pid"])
    # Suspended when idle and by suspend-microvm (once more if the calls were slow to come), resumed as often.
    assert view["suspends"] == view["resumes"] >= 2 and view["cost_usd"] > 0


def test_the_deploy_blocks_zip_is_built_as_written() -> None:
    build = readme_commands(readme_block(README, "microvm-image on_lambda/microvm"))[0]

    bash(build)

    with zipfile.ZipFile(ROOT / "build" / "microvm" / "session-counter.zip") as archive:
        assert archive.namelist()[:3] == ["Dockerfile", "agent.py", "requirements.txt"]
