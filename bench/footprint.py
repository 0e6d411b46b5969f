"""Section 5: install footprint of each step's requirements.txt in a fresh venv (slow: pip installs)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

from .context import Context
from .report import Section, Target
from .servers import step_apps

GOAL = 1.1
# The reference: what any AgentCore app ships (the SDK, boto3, the ADOT distro the runtime expects),
# pinned like the steps so only the extra packages differ.
REFERENCE = ["bedrock-agentcore==1.25.0", "boto3==1.44.5", "aws-opentelemetry-distro==0.21.0"]


def measure(requirements: list[str], workdir: Path) -> dict[str, float]:
    """Install into a fresh venv without pip; return MB per installed distribution (from RECORD)."""
    target = workdir / hashlib.sha256("\n".join(requirements).encode()).hexdigest()[:12]
    venv.EnvBuilder(with_pip=False, clear=True).create(target)
    python = target / "bin" / "python"
    req = workdir / f"{target.name}.txt"
    req.write_text("\n".join(requirements) + "\n", encoding="utf-8")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-compile",
            "-r",
            str(req),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"pip install -r {req} failed:\n{out.stderr[-3000:]}")
    site = next(target.glob("lib/python*/site-packages"))
    sizes: dict[str, float] = {}
    for dist in site.glob("*.dist-info"):
        name = dist.name.split("-")[0].lower().replace("_", "-")
        files = [line.split(",")[0] for line in (dist / "RECORD").read_text(encoding="utf-8").splitlines()]
        sizes[name] = sum((site / f).stat().st_size for f in files if f and (site / f).is_file()) / 1e6
    return sizes


def _requirements(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return sorted(line for line in lines if line)


def run(ctx: Context) -> Section:
    if not ctx.footprint:
        return Section("5. Install footprint", skipped="--skip-footprint given")
    section = Section(
        "5. Install footprint of requirements.txt in a fresh venv (bytecode not compiled)",
        columns=["requirements", "MB", "packages", "vs reference (MB)", "beyond the reference (MB)"],
    )
    sets: dict[tuple[str, ...], list[str]] = {
        tuple(sorted(REFERENCE)): ["reference: " + " + ".join(REFERENCE)]
    }
    for app in step_apps():
        req = app.folder / "requirements.txt"
        if req.is_file():
            sets.setdefault(tuple(_requirements(req)), []).append(app.name)
    with tempfile.TemporaryDirectory(prefix="bench-footprint-") as tmp:
        sizes = {key: measure(list(key), Path(tmp)) for key in sets}
    reference = sizes[tuple(sorted(REFERENCE))]
    ref_mb = sum(reference.values())
    for key, names in sets.items():
        mb, count = sum(sizes[key].values()), len(sizes[key])
        extra = {k: v for k, v in sizes[key].items() if k not in reference}
        extras = ", ".join(f"{k} {v:.1f}" for k, v in sorted(extra.items(), key=lambda kv: -kv[1])) or "-"
        section.rows.append([", ".join(names), f"{mb:.1f}", str(count), f"{mb / ref_mb:.2f}x", extras])
        for name in names:
            if name[:1] in "1234":
                section.targets.append(
                    Target(f"{name} footprint", f"{mb / ref_mb:.2f}x", f"<= {GOAL}x", mb / ref_mb <= GOAL)
                )
    section.notes.append(
        "one venv per distinct requirements set (steps with identical files share a row); sizes are the "
        "installed site-packages, without pip; downloads come from the configured package index."
    )
    return section
