"""`microvm-image`: the zip a MicroVM image is built from (a Dockerfile on the MicroVMs container base, the
step's files and only the shared modules it imports), the same bytes for the same sources; and the SAM
template that deploys it, linted and translated offline, with the hooks its code serves."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from commands.microvm_image import BASE_CONTAINER, build_image_zip
from commands.stage import staged_files
from commands.steps import ROOT
from harness.templates import check_template_file, lint_template
from local_cloud.aws.cfn import load_template, translate_sam
from local_cloud.microvms import folder_image
from tests.helpers import script

COUNTER = ROOT / "on_lambda" / "microvm"
TEMPLATE = COUNTER / "template.yaml"
LAUNCH_REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "ap-northeast-1"]


def _names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


@pytest.mark.parametrize(
    ("folder", "expose"),
    [("on_lambda/microvm", "EXPOSE 8080 9000"), ("1_compute_without_model", "EXPOSE 8080")],
)
def test_the_zip_holds_a_dockerfile_the_step_and_only_the_shared_modules_it_imports(
    tmp_path: Path, folder: str, expose: str
) -> None:
    out = tmp_path / "image.zip"

    done = subprocess.run([script("microvm-image"), folder, "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)  # fmt: skip

    shared = [str(path) for path in staged_files(ROOT / folder)]
    assert _names(out) == ["Dockerfile", "agent.py", "requirements.txt", *sorted(shared)]
    with zipfile.ZipFile(out) as archive:
        dockerfile = archive.read("Dockerfile").decode()
        assert archive.read("agent.py") == (ROOT / folder / "agent.py").read_bytes()
    lines = dockerfile.splitlines()
    assert (
        f"FROM {BASE_CONTAINER}" in lines
        and expose in lines
        and lines[-1] == 'CMD ["python3.12", "agent.py"]'
    )
    assert "shared/aws/clients.py" not in shared and "shared/core/validation.py" in shared
    assert done.stdout.startswith(
        f"wrote {out}: Dockerfile, agent.py, requirements.txt and {len(shared)} modules"
    )


def test_the_same_sources_give_the_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"

    build_image_zip(COUNTER, first, 9000)
    build_image_zip(COUNTER, second, 9000)

    assert first.read_bytes() == second.read_bytes()


def test_a_folder_without_code_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run([script("microvm-image"), str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)  # fmt: skip

    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"microvm-image: {tmp_path} has no requirements.txt and .py files to build an image from"
    ]


def test_the_template_lints_clean_where_microvms_run_and_keeps_least_privilege() -> None:
    assert lint_template(TEMPLATE, regions=LAUNCH_REGIONS) == []
    assert check_template_file(TEMPLATE) == []


def test_the_template_translates_to_the_image_with_its_build_role_and_hooks() -> None:
    translated = translate_sam(
        TEMPLATE, parameter_values={"CodeUri": "s3://bucket/session-counter.zip", "BaseImageVersion": "1"}
    )

    image = translated["Resources"]["CounterImage"]
    props = image["Properties"]
    assert image["Type"] == "AWS::Lambda::MicrovmImage"
    assert props["CodeArtifact"] == {"Uri": {"Ref": "CodeUri"}}
    assert props["BuildRoleArn"] == {"Fn::GetAtt": ["BuildRole", "Arn"]}
    assert props["Hooks"]["Port"] == 9000 and props["Resources"] == [{"MinimumMemoryInMiB": 512}]
    assert props["EnvironmentVariables"] == [{"Key": "HOOKS_PORT", "Value": "9000"}]
    assert set(translated["Resources"]) == {"BuildRole", "CounterImage"}


def test_the_local_plane_reads_the_image_the_template_deploys() -> None:
    props = load_template(TEMPLATE)["Resources"]["CounterImage"]["Properties"]

    image = folder_image("counter", COUNTER)

    # The code's hook port (HOOKS_PORT) is the one the template's Hooks declare.
    assert int(props["EnvironmentVariables"]["HOOKS_PORT"]) == props["Hooks"]["Port"] == image.hooks.port
    assert dict(image.hooks.timeouts) == {"run": 30, "resume": 30, "suspend": 30, "terminate": 30}
    assert (image.memory_mib, image.memory_gb, image.env["HOOKS_PORT"]) == (512, 0.5, "9000")
