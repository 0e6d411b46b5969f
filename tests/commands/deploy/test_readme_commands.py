"""The READMEs' deploy commands are the ones make deploy prints and the deploy tests run."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from commands.deploy import STEPS, Placeholders, plan
from tests.commands.deploy.helpers import ROOT, readme_block


@pytest.mark.parametrize("step", sorted(STEPS))
def test_the_step_readme_shows_what_make_deploy_runs(step: str) -> None:
    readme = (ROOT / step / "README.md").read_text().replace("\\\n    ", "")
    assert f"make deploy STEP={step}" in readme
    for line in plan(step, Placeholders()).lines():
        assert line in readme, f"{step}/README.md lacks: {line}"


@pytest.mark.parametrize("step", sorted(set(STEPS) - {"0_run_default_agentcore"}))
def test_infra_readme_shows_what_make_deploy_runs_for_each_step(step: str) -> None:
    # infra/README.md's by-hand block: one section per step (step 0 needs no roles stack, so it is not there).
    block = readme_block(ROOT / "infra" / "README.md", "make stage STEP=1_compute_without_model")
    sections = re.split(r"\n(?=# Step \d)", block.replace("\\\n    ", ""))
    section = next(s for s in sections if f"make stage STEP={step} && cd {step}\n" in s)
    for line in plan(step, Placeholders()).lines()[1:]:
        assert f"\n{line}\n" in section, f"infra/README.md's {step} section lacks: {line}"
    assert section.rstrip().endswith("cd ..")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            "deploy",
            "/deploy-step 2_sqs_sink --deployment-type container --roles-stack agentcore-lambda-roles",
        ),
        ("stage", "/stage-step 2_sqs_sink"),
    ],
)
def test_make_targets_run_what_the_tests_run(target: str, expected: str) -> None:
    # The targets run the console scripts; the tests call the same mains as modules (a scratch checkout has
    # no .venv of its own for make, and the scripts would run this checkout's code).
    dry = subprocess.run(
        ["make", "-n", target, "STEP=2_sqs_sink", f"PYTHON={sys.executable}"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert expected in dry


@pytest.mark.parametrize(("step", "gets_it"), [("4_dynamodb_sink", True), ("1_compute_without_model", False)])
def test_a_job_runtime_is_told_the_max_lifetime_it_is_deployed_with(step: str, gets_it: bool) -> None:
    the_plan = plan(step, Placeholders(), max_lifetime=3600)

    assert the_plan.configure[the_plan.configure.index("--max-lifetime") + 1] == "3600"
    # Step 4 refuses a job its session could not finish: it reads the same figure (RUNTIME_MAX_LIFETIME_SECONDS).
    assert ("RUNTIME_MAX_LIFETIME_SECONDS=3600" in the_plan.deploy) is gets_it
    assert "RUNTIME_MAX_LIFETIME_SECONDS=3600" not in plan(step, Placeholders()).deploy
