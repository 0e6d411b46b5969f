"""After `make stage`, each step folder alone is a complete build context for the starter toolkit."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from commands import stage as staging
from commands.stage import stage
from commands.worlds import Resources
from local_cloud.aws import EmbeddedAws
from tests.helpers import ALL_STEPS, ROOT

SEEDS = {
    "1_compute_without_model": ({"prompt": {"a": 1, "b": 2}}, {"result": 3}),
    "2_sqs_sink": ({"prompt": {"a": 5, "b": 3}}, {"result": 8, "message_sent": True}),
    "3_s3_sink": ({"prompt": {"a": 1, "b": 2}}, {"result": 3, "s3_stored": True}),
    "4_dynamodb_sink": ({"prompt": {"a": 4, "b": 5}}, {"result": 9, "dynamodb_stored": True}),
}

# Run in the copied folder with `python -I`: no PYTHONPATH, no user site, no cwd on sys.path,
# so `shared` can only come from the folder itself (checked) and not from this checkout.
PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import agent, shared
assert shared.__file__.startswith(sys.argv[1]), shared.__file__
from starlette.testclient import TestClient
client = TestClient(agent.app)
assert client.get("/ping").json()["status"] == "Healthy"
r = client.post("/invocations", content=sys.argv[2])
print(json.dumps({"status": r.status_code, "body": r.json()}))
"""


def copy_sources(dockerfile: Path) -> list[str]:
    sources = []
    for line in dockerfile.read_text().splitlines():
        match = re.match(r"^\s*COPY\s+(.*)$", line)
        if match:
            parts = [p for p in match.group(1).split() if not p.startswith("--")]
            sources.extend(parts[:-1])
    return sources


@pytest.mark.parametrize("step", ALL_STEPS)
def test_staged_folder_alone_imports_and_answers(
    step: str, tmp_path: Path, resources: Resources, aws_env: EmbeddedAws
) -> None:
    copy = tmp_path / step
    shutil.copytree(ROOT / step, copy, symlinks=False, ignore=shutil.ignore_patterns("__pycache__", "shared"))
    # Staged into a copy: the checkout's step folders are left as they were.
    stage(step, into=copy)
    stage(step, into=copy)  # idempotent

    sources = copy_sources(copy / "Dockerfile")
    assert "requirements.txt" in sources and "agent.py" in sources
    for source in sources:
        assert (copy / source).exists(), f"Dockerfile COPY source missing after staging: {source}"

    payload, expected = SEEDS[step]
    env = {**aws_env.env(), **resources.env(), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-I", "-c", PROBE, str(copy), json.dumps(payload)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200
    assert expected.items() <= answer["body"].items()


@pytest.mark.parametrize("step", ALL_STEPS)
def test_requirements_are_pinned_and_minimal(step: str) -> None:
    lines = [
        line.strip()
        for line in (ROOT / step / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    names = {re.split(r"[=<>!~\[]", line)[0].lower() for line in lines}
    assert all("==" in line for line in lines), "image requirements are pinned"
    assert "bedrock-agentcore" in names and "aws-opentelemetry-distro" in names
    assert "strands-agents" not in names and "bedrock-agentcore-starter-toolkit" not in names


@pytest.mark.parametrize("step", ALL_STEPS)
def test_dockerfile_follows_the_runtime_contract(step: str) -> None:
    text = (ROOT / step / "Dockerfile").read_text()
    assert "--platform=linux/arm64" in text
    assert "DOCKER_CONTAINER=1" in text
    assert "EXPOSE 8080" in text and 'CMD ["opentelemetry-instrument", "python", "agent.py"]' in text
    assert re.search(r"^USER (?!root)\w+", text, re.M), "runs as a non-root user"
    assert '"opentelemetry-instrument"' in text


def test_staged_copies_are_git_ignored() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "1_compute_without_model/shared/errors.py"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0


def test_a_stale_staged_copy_is_refreshed_before_a_local_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fake checkout, so the real step folders are not touched.
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "shared", root / "shared", ignore=shutil.ignore_patterns("__pycache__"))
    step = root / "1_compute_without_model"
    step.mkdir()
    (step / "agent.py").write_text("from shared.core.errors import AppError\n")
    monkeypatch.setattr(staging, "ROOT", root)

    assert staging.refresh_if_stale(step) is False  # never staged: nothing to refresh
    assert not (step / "shared").exists()

    stage("1_compute_without_model")
    assert staging.refresh_if_stale(step) is False  # fresh copy: left alone

    assert sorted(p.name for p in (step / "shared" / "core").glob("*.py")) == ["__init__.py", "errors.py"]
    (root / "shared" / "core" / "errors.py").write_text(
        "class AppError(Exception): ...  # edited after staging\n"
    )
    (step / "shared" / "only_in_the_old_copy.py").write_text("")
    assert staging.refresh_if_stale(step) is True
    assert "edited after staging" in (step / "shared" / "core" / "errors.py").read_text()
    assert not (step / "shared" / "only_in_the_old_copy.py").exists()


@pytest.mark.parametrize("step", ["0_run_default_agentcore", *ALL_STEPS[1:]])
def test_step_dockerfiles_stay_identical(step: str) -> None:
    # The toolkit builds each folder alone, so every step carries its own copy: keep them in step.
    def significant(path: Path) -> list[str]:
        return [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]

    assert significant(ROOT / step / "Dockerfile") == significant(
        ROOT / "1_compute_without_model" / "Dockerfile"
    )


@pytest.mark.parametrize(
    "step", ["0_run_default_agentcore", *ALL_STEPS, "5_api_gateway_proxy", "examples/lambda_on_agentcore"]
)
def test_each_step_readme_says_what_it_takes_from_shared(step: str) -> None:
    files = staging.staged_files(ROOT / step)
    slices = sorted({f.parts[1] for f in files if len(f.parts) > 2})
    said = re.search(
        r"\*\*What it takes from `shared/`:\*\* (.*?) \(`make stage STEP=\S+` copies those (\d+) modules",
        (ROOT / step / "README.md").read_text(),
    )
    assert said, f"{step}/README.md does not say what it takes from shared/"
    assert re.findall(r"`(\w+)`", said[1]) == slices and int(said[2]) == len(files)


def test_the_sqs_step_stages_no_job_runtime_apigw_or_model_module() -> None:
    staged = {str(p) for p in staging.staged_files(ROOT / "2_sqs_sink")}
    assert not {
        p for p in staged if p.startswith(("shared/jobs", "shared/runtime", "shared/apigw", "shared/model"))
    }
    assert "shared/sinks/writers.py" in staged and "shared/core/validation.py" in staged
