"""Results of the benchmark sections: statistics, targets, the printed table and results.md."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class Spread:
    """Median and min-max of one quantity over the rounds of a run."""

    values: tuple[float, ...]

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(tuple(values))

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    def fmt(self, digits: int = 2, unit: str = "") -> str:
        """'median (min-max)unit'."""
        if not self.values:
            return "n/a"
        lo, hi = min(self.values), max(self.values)
        return f"{self.median:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f}){unit}"


@dataclass(frozen=True)
class Target:
    """A target checked on the median of a ratio measured in this run."""

    what: str
    measured: str
    goal: str
    met: bool | None  # None: reported only


@dataclass
class Section:
    """One part of the benchmark: a table, targets, notes; or the reason it was skipped."""

    title: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None
    seconds: float = 0.0


def ratio_spread(numerators: Sequence[float], denominators: Sequence[float]) -> Spread:
    """Per-round ratios (rounds interleave the variants, so each pair shares the machine's mood)."""
    return Spread.of([n / d for n, d in zip(numerators, denominators, strict=True) if d])


def machine() -> str:
    """One line describing the machine and the software measured."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", load average at start {os.getloadavg()[0]:.2f}"
    versions = []
    for dist in ("bedrock-agentcore", "uvicorn", "starlette", "boto3", "moto"):
        try:
            from importlib.metadata import version

            versions.append(f"{dist} {version(dist)}")
        except Exception:
            continue
    return (
        f"{platform.system()} {platform.release()} {platform.machine()}, {cpu}, {os.cpu_count()} CPUs{load}; "
        f"Python {platform.python_version()}; " + ", ".join(versions)
    )


def _git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            timeout=5,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _table(columns: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) for i, c in enumerate(columns)]
    line = "  ".join(str(c).ljust(w) for c, w in zip(columns, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    return out


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "NOT met", None: "reported"}[met]


def render_text(sections: list[Section]) -> str:
    """The table printed by `make bench`."""
    out: list[str] = []
    for s in sections:
        out.append("")
        out.append(f"== {s.title}" + (f"  ({s.seconds:.0f} s)" if s.seconds else ""))
        if s.skipped:
            out.append(f"   skipped: {s.skipped}")
            continue
        if s.rows:
            out += ["   " + line for line in _table(s.columns, s.rows)]
        for t in s.targets:
            out.append(f"   target {_verdict(t.met):8} {t.what}: {t.measured} (goal {t.goal})")
        out += [f"   note: {n}" for n in s.notes]
    return "\n".join(out)


def render_markdown(sections: list[Section], command: str, elapsed: float) -> str:
    """bench/results.md: the same tables, the machine and the command."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Benchmark results",
        "",
        f"Latest run: {now}, commit {_git_revision()}, `{command}`, {elapsed:.0f} s in all.",
        "",
        f"Machine: {machine()}.",
        "",
        "Every figure is a median over the rounds of this run with the min-max in brackets; ratios are",
        "computed per round between variants measured back to back, so the machine's noise is shared.",
        "",
    ]
    for s in sections:
        out += [f"## {s.title}", ""]
        if s.skipped:
            out += [f"Skipped: {s.skipped}", ""]
            continue
        if s.rows:
            out.append("| " + " | ".join(s.columns) + " |")
            out.append("|" + "---|" * len(s.columns))
            out += ["| " + " | ".join(str(v) for v in r) + " |" for r in s.rows]
            out.append("")
        if s.targets:
            out += ["| target | measured | goal | verdict |", "|---|---|---|---|"]
            out += [f"| {t.what} | {t.measured} | {t.goal} | {_verdict(t.met)} |" for t in s.targets]
            out.append("")
        out += [f"- {n}" for n in s.notes]
        if s.notes:
            out.append("")
    return "\n".join(out)


def python_command() -> str:
    """How this run was started, for the record."""
    return "python -m bench " + " ".join(sys.argv[1:])
