"""Lambda REPORT records as CloudWatch Logs prints them, parsed into requests for the cost model.

Accepted input, in any mix: the lines a console copy, `aws logs tail` or `aws logs filter-log-events
--output text` prints (prefixes before `REPORT RequestId:` are skipped), the JSON that `aws logs
filter-log-events` prints by default (`{"events": [{"message": ...}]}`), and Lambda's JSON log format
(`{"type": "platform.report", "record": {...}}` one per line). A record that starts like a REPORT but
cannot be read is an error naming its file and line; other lines (START, END, the function's own logs)
are counted, never silently dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARK = re.compile(r"\bREPORT\s+RequestId:")
# Longest labels first, so "Duration" never matches inside "Billed Duration" or "Init Duration".
LABELS = (
    "Billed Restore Duration",
    "Restore Duration",
    "Billed Duration",
    "Init Duration",
    "Max Memory Used",
    "Memory Size",
    "Duration",
    "Status",
    "Error Type",
    "XRAY TraceId",
    "SegmentId",
    "Sampled",
)
LABEL = re.compile(r"(?<![A-Za-z])(" + "|".join(re.escape(label) for label in LABELS) + r"):")
NUMBER_UNIT = {
    "Duration": "ms",
    "Billed Duration": "ms",
    "Init Duration": "ms",
    "Restore Duration": "ms",
    "Billed Restore Duration": "ms",
    "Memory Size": "MB",
    "Max Memory Used": "MB",
}
INTEGERS = {"Billed Duration", "Billed Restore Duration", "Memory Size", "Max Memory Used"}
REQUIRED = ("Duration", "Billed Duration", "Memory Size", "Max Memory Used")
# Lambda's JSON log format names the same figures in `record.metrics`.
JSON_METRICS = {
    "durationMs": "Duration",
    "billedDurationMs": "Billed Duration",
    "memorySizeMB": "Memory Size",
    "maxMemoryUsedMB": "Max Memory Used",
    "initDurationMs": "Init Duration",
    "restoreDurationMs": "Restore Duration",
    "billedRestoreDurationMs": "Billed Restore Duration",
}


class ReportError(ValueError):
    """A REPORT record that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Report:
    """The figures of one Lambda REPORT record."""

    request_id: str
    duration_ms: float
    billed_ms: int
    memory_size_mb: int
    max_memory_used_mb: int
    init_ms: float | None = None
    restore_ms: float | None = None
    billed_restore_ms: int | None = None
    status: str | None = None
    where: str = ""

    @property
    def cold(self) -> bool:
        """True for the first invocation of a new execution environment (init or SnapStart restore)."""
        return self.init_ms is not None or self.restore_ms is not None


@dataclass
class Parsed:
    """What a set of files held: the REPORT records, and what else was seen, so nothing goes unsaid."""

    reports: list[Report] = field(default_factory=list)
    other_lines: int = 0
    ignored_text: list[str] = field(default_factory=list)


def _number(label: str, text: str, where: str) -> tuple[float, str]:
    unit = NUMBER_UNIT[label]
    match = re.match(r"(\d+(?:\.\d+)?)\s*" + unit + r"\b", text)
    if not match:
        raise ReportError(f"{where}: {label!r} should be a number of {unit}, found {text[:40]!r}")
    return float(match.group(1)), text[match.end() :].strip()


def parse_record(text: str, where: str, ignored: list[str] | None = None) -> Report:
    """Parse one REPORT record (text from `REPORT RequestId:` on); `where` names it in errors."""
    mark = MARK.search(text)
    if not mark:
        raise ReportError(f"{where}: no 'REPORT RequestId:' in {text[:80]!r}")
    body = text[mark.end() :]
    found = list(LABEL.finditer(body))
    request_id = body[: found[0].start()].strip() if found else body.strip()
    if not request_id or " " in request_id:
        raise ReportError(f"{where}: REPORT record without a request id: {text[:120]!r}")
    values: dict[str, Any] = {}
    for index, match in enumerate(found):
        label = match.group(1)
        end = found[index + 1].start() if index + 1 < len(found) else len(body)
        raw = body[match.end() : end].strip()
        if label in values:
            raise ReportError(f"{where}: {label!r} appears twice in {text[:120]!r}")
        if label in NUMBER_UNIT:
            values[label], rest = _number(label, raw, where)
        else:
            values[label], _, rest = raw.partition(" ")
        if rest and ignored is not None:
            ignored.append(f"{where}: {rest[:60]!r} after {label!r}")
    missing = [label for label in REQUIRED if label not in values]
    if missing:
        raise ReportError(f"{where}: REPORT record without {', '.join(map(repr, missing))}: {text[:160]!r}")
    for label in INTEGERS & values.keys():
        if values[label] != int(values[label]):
            raise ReportError(f"{where}: {label!r} should be a whole number, found {values[label]}")
    if values["Memory Size"] <= 0:
        raise ReportError(f"{where}: 'Memory Size' should be positive, found {values['Memory Size']}")
    return Report(
        request_id=request_id,
        duration_ms=values["Duration"],
        billed_ms=int(values["Billed Duration"]),
        memory_size_mb=int(values["Memory Size"]),
        max_memory_used_mb=int(values["Max Memory Used"]),
        init_ms=values.get("Init Duration"),
        restore_ms=values.get("Restore Duration"),
        billed_restore_ms=int(values["Billed Restore Duration"])
        if "Billed Restore Duration" in values
        else None,
        status=values.get("Status"),
        where=where,
    )


def _from_json_record(event: dict[str, Any], where: str) -> Report:
    record = event.get("record")
    if not isinstance(record, dict) or not isinstance(record.get("metrics"), dict):
        raise ReportError(f"{where}: platform.report without record.metrics")
    metrics = record["metrics"]
    parts = [f"REPORT RequestId: {record.get('requestId', '')}"]
    for key, label in JSON_METRICS.items():
        if key in metrics:
            parts.append(f"{label}: {metrics[key]} {NUMBER_UNIT[label]}")
    if record.get("status"):
        parts.append(f"Status: {record['status']}")
    return parse_record("\t".join(parts), where)


def _records(text: str, source: str) -> Iterator[tuple[str, str]]:
    """Yield (where, message) for every log message in one file's text."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            document = None  # not one document: JSON lines, read below
        if isinstance(document, dict) and isinstance(document.get("events"), list):
            for number, event in enumerate(document["events"], start=1):
                message = event.get("message", "") if isinstance(event, dict) else ""
                for offset, line in enumerate(str(message).splitlines() or [""]):
                    yield f"{source}: event {number}" + (f" line {offset + 1}" if offset else ""), line
            return
    for number, line in enumerate(text.splitlines(), start=1):
        yield f"{source}:{number}", line


def parse_text(text: str, source: str = "<text>") -> Parsed:
    """Parse every REPORT record in `text`; raise ReportError on the first malformed one."""
    parsed = Parsed()
    for where, line in _records(text, source):
        if not line.strip():
            continue
        if line.lstrip().startswith("{") and "platform.report" in line:
            try:
                event = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ReportError(f"{where}: platform.report line is not valid JSON ({exc.msg})") from exc
            parsed.reports.append(_from_json_record(event, where))
            continue
        marks = list(MARK.finditer(line))
        if not marks:
            if line.lstrip().startswith("REPORT") or re.search(r"\bREPORT\b.*\bDuration:", line):
                raise ReportError(f"{where}: REPORT line without 'RequestId:': {line[:120]!r}")
            parsed.other_lines += 1
            continue
        # `--output text` of a --query over messages can put several records on one line.
        for index, mark in enumerate(marks):
            end = marks[index + 1].start() if index + 1 < len(marks) else len(line)
            label = where if len(marks) == 1 else f"{where} (record {index + 1})"
            parsed.reports.append(parse_record(line[mark.start() : end], label, parsed.ignored_text))
    return parsed


def parse_files(paths: list[Path]) -> Parsed:
    """Parse every file; the result holds all their REPORT records in order."""
    total = Parsed()
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ReportError(f"{path}: cannot read ({exc.strerror})") from exc
        except UnicodeDecodeError as exc:
            raise ReportError(
                f"{path}: not UTF-8 text (byte {exc.start}); give what CloudWatch Logs prints (text or JSON)"
            ) from exc
        one = parse_text(text, str(path))
        total.reports += one.reports
        total.other_lines += one.other_lines
        total.ignored_text += one.ignored_text
    if not total.reports:
        raise ReportError(
            f"no REPORT records in {', '.join(map(str, paths))} ({total.other_lines} other lines)"
        )
    return total
