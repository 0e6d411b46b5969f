"""`microvm-image STEP_FOLDER`: build the zip a Lambda MicroVM image is created from.

The zip holds, at its root, a Dockerfile on the Lambda MicroVMs container base (Lambda runs it on the
image's managed base, BaseImageArn, starts its CMD, waits for the /ready hook if enabled, then snapshots
memory and disk), the folder's requirements.txt and top-level .py files, and only the modules of shared/
they import (commands.stage.staged_files). The bytes are the same for the same sources (sorted entries,
fixed timestamps). Upload it to S3 and give its URI to on_lambda/microvm/template.yaml (CodeUri).

microvm-image on_lambda/microvm [--out build/microvm/microvm.zip]
"""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

from local_cloud.microvms.images import parse_hooks, read_definition

from .errors import fail
from .stage import staged_files
from .steps import ROOT

__all__ = ["BASE_CONTAINER", "build_image_zip", "dockerfile", "image_files"]

# The container base the developer guide's images page and AWS's Lambda MicroVMs skill build on (read
# 2026-12-02); python3.12 from AL2023's packages is this project's choice (not built here: no Docker).
BASE_CONTAINER = "public.ecr.aws/lambda/microvms:al2023-minimal"
APP_PORT = 8080
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def dockerfile(folder: Path, hook_port: int | None = None) -> str:
    """The image's Dockerfile: the step served as its AgentCore image serves it, on port 8080."""
    module = "agent.py" if (folder / "agent.py").is_file() else sorted(p.name for p in folder.glob("*.py"))[0]
    ports = f"{APP_PORT} {hook_port}" if hook_port and hook_port != APP_PORT else str(APP_PORT)
    return (
        f"# Lambda MicroVM image of {folder.name} (written by microvm-image). Lambda builds it on the\n"
        "# image's managed base, starts CMD, waits for the /ready hook (if enabled), then snapshots\n"
        "# memory and disk: every MicroVM resumes from that snapshot.\n"
        f"FROM {BASE_CONTAINER}\n"
        "RUN dnf install -y python3.12 python3.12-pip && dnf clean all\n"
        "# DOCKER_CONTAINER: the app (and its hooks) listen on 0.0.0.0, where Lambda's proxy reaches them.\n"
        "ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 \\\n"
        "    PIP_DISABLE_PIP_VERSION_CHECK=1 DOCKER_CONTAINER=1\n"
        "WORKDIR /app\n"
        "COPY requirements.txt ./\n"
        "RUN python3.12 -m pip install -r requirements.txt\n"
        "COPY shared/ ./shared/\n"
        "COPY *.py ./\n"
        f"EXPOSE {ports}\n"
        f'CMD ["python3.12", "{module}"]\n'
    )


def image_files(folder: Path) -> dict[str, Path]:
    """What the zip holds besides its Dockerfile: name in the zip -> file."""
    files = {"requirements.txt": folder / "requirements.txt"}
    files |= {script.name: script for script in sorted(folder.glob("*.py"))}
    files |= {str(relative): ROOT / relative for relative in staged_files(folder)}
    return files


def build_image_zip(folder: Path, out: Path, hook_port: int | None = None) -> list[str]:
    """Write the image's zip; return the names it holds, Dockerfile first."""
    folder = folder.resolve()
    if not (folder / "requirements.txt").is_file() or not any(folder.glob("*.py")):
        raise ValueError(f"{folder} has no requirements.txt and .py files to build an image from")
    out.parent.mkdir(parents=True, exist_ok=True)
    entries = {"Dockerfile": dockerfile(folder, hook_port).encode()}
    entries |= {name: path.read_bytes() for name, path in sorted(image_files(folder).items())}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, _FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return list(entries)


def _hook_port(folder: Path) -> int | None:
    definition = read_definition(folder) or {}
    hooks = parse_hooks(definition.get("Hooks"))
    return hooks.port if hooks else None


def main(argv: list[str] | None = None) -> int:
    """Build the zip of the step folder named on the command line."""
    parser = argparse.ArgumentParser(prog="microvm-image", description=__doc__.splitlines()[0])
    parser.add_argument("step", metavar="STEP_FOLDER")
    parser.add_argument("--out", type=Path, help="the zip to write (default build/microvm/<folder>.zip)")
    args = parser.parse_args(argv)
    folder = Path(args.step) if Path(args.step).is_dir() else ROOT / args.step
    if not folder.is_dir():
        return fail(f"no folder {args.step}")
    out = args.out or ROOT / "build" / "microvm" / f"{folder.resolve().name}.zip"
    try:
        names = build_image_zip(folder, out, _hook_port(folder.resolve()))
    except ValueError as exc:
        return fail(str(exc))
    shared = [name for name in names if name.startswith("shared/")]
    others = [name for name in names if not name.startswith("shared/")]
    print(f"wrote {out}: {', '.join(others)} and {len(shared)} modules of shared/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
