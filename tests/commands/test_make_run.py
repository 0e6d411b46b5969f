"""`make run STEP=1_compute_without_model` and the curl lines step 1's README gives, on a free port."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys

from local_cloud.loopback import free_port
from tests.commands.deploy.helpers import ROOT, bash, readme_block


def test_make_run_serves_step1_and_the_readme_curl_lines_answer() -> None:
    block = readme_block(ROOT / "1_compute_without_model" / "README.md", "make run STEP=")
    lines = [line.split("  #")[0].strip() for line in block.replace("\\\n", " ").splitlines()]
    make, *curls = [line for line in lines if line]
    assert make == "make run STEP=1_compute_without_model" and len(curls) == 2
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    # The README's port 8080 becomes a free one; PYTHON only matters if make has to build .venv.
    server = subprocess.Popen(
        [*make.split(), f"PORT={port}", f"PYTHON={sys.executable}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        script = "\n".join(
            [
                f"for i in $(seq 300); do curl -s -o /dev/null http://127.0.0.1:{port}/ping && break; sleep 0.1; done"
            ]
            + [f"{curl.replace('8080', str(port))}; echo" for curl in curls]
        )
        invoked, pinged = bash(script, timeout=60).splitlines()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0]
    assert json.loads(invoked) == {"result": 3}, output
    assert json.loads(pinged)["status"] == "Healthy", output
    assert f"serving 1_compute_without_model on http://127.0.0.1:{port} (python agent.py)" in output
