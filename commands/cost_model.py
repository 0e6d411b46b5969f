"""`cost-model`: a workload's monthly cost on every AWS home that prices it, as a table or JSON, and a plot.

The workload is a profile (--requests, --cpu-ms, --wait-ms, --memory-mb) or your Lambda's REPORT lines
(--reports FILE ...); the prices are cost_model/prices.json's.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cost_model import (
    ARCHITECTURES,
    CAVEAT,
    VERSIONS,
    Parsed,
    ReportError,
    Request,
    Run,
    Workload,
    compare,
    parse_files,
    profile_workload,
    render,
)


def build_parser() -> argparse.ArgumentParser:
    """Return the command's argument parser."""
    parser = argparse.ArgumentParser(
        prog="cost-model",
        description="Monthly list price of a workload on AWS Lambda and on AgentCore Runtime (V1, V2).",
    )
    source = parser.add_argument_group("the workload: a profile, or your Lambda's REPORT lines")
    source.add_argument("--requests", type=float, help="requests a month (with --reports: scale to this)")
    source.add_argument("--cpu-ms", type=float, help="CPU time per request, ms")
    source.add_argument("--wait-ms", type=float, help="time per request spent waiting (I/O, a model), ms")
    source.add_argument("--memory-mb", type=float, help="peak memory the code uses, MB")
    source.add_argument(
        "--reports", type=Path, nargs="+", metavar="FILE", help="files of Lambda REPORT lines"
    )
    source.add_argument(
        "--cpu-share",
        type=float,
        default=1.0,
        help="with --reports: share of each Duration that is CPU (REPORT lines do not say; default 1.0)",
    )
    options = parser.add_argument_group("options")
    options.add_argument("--lambda-memory-mb", type=int, help="Lambda memory size (default: --memory-mb)")
    options.add_argument("--free-tier", action="store_true", help="subtract Lambda's monthly free tier")
    options.add_argument("--requests-per-session", type=int, default=1, help="requests sharing one session")
    options.add_argument("--session-gap-s", type=float, default=0.0, help="idle seconds between them")
    options.add_argument("--startup-s", type=float, default=0.0, help="billed start-up seconds per session")
    options.add_argument("--idle-timeout", type=int, help="also price this idleRuntimeSessionTimeout, s")
    options.add_argument("--payload-mb", type=float, help="largest request or response, MB (limits only)")
    options.add_argument("--v2-memory-mb", type=float, help="memory V2 bills, if measured apart (USAGE_LOGS)")
    options.add_argument(
        "--architecture", choices=ARCHITECTURES, default="x86_64", help="Lambda to compare with"
    )
    options.add_argument("--platform-version", choices=(*VERSIONS, "both"), default="both")
    options.add_argument("--json", action="store_true", help="print one JSON object (the pinned keys)")
    options.add_argument("--plot", type=Path, metavar="PATH", help="write a PNG of cost against wait share")
    return parser


def _profile(args: argparse.Namespace, parser: argparse.ArgumentParser) -> tuple[Workload, str, list[str]]:
    missing = [
        f"--{n}"
        for n in ("requests", "cpu-ms", "wait-ms", "memory-mb")
        if getattr(args, n.replace("-", "_")) is None
    ]
    if missing:
        parser.error(f"a profile needs {', '.join(missing)} (or give --reports FILE)")
    for name in ("requests", "cpu_ms", "wait_ms", "memory_mb"):
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must not be negative")
    if args.cpu_ms + args.wait_ms <= 0:
        parser.error("a request needs some time: --cpu-ms plus --wait-ms must be above 0")
    workload = profile_workload(
        args.requests,
        args.cpu_ms,
        args.wait_ms,
        args.memory_mb,
        args.lambda_memory_mb,
        **_session_options(args),
    )
    lambda_mb = workload.sample[0].lambda_memory_mb
    describe = (
        f"{args.requests:,.0f} requests a month, each {args.cpu_ms:,g} ms CPU "
        f"+ {args.wait_ms:,g} ms waiting, "
        f"peak memory {args.memory_mb:,g} MB; Lambda {lambda_mb:,} MB"
    )
    return workload, describe, []


def _reports(args: argparse.Namespace, parser: argparse.ArgumentParser) -> tuple[Workload, str, list[str]]:
    given = [
        f"--{n}" for n in ("cpu-ms", "wait-ms", "memory-mb") if getattr(args, n.replace("-", "_")) is not None
    ]
    if given:
        parser.error(
            f"{', '.join(given)} describe a profile; with --reports use --cpu-share (and --requests)"
        )
    if not 0 <= args.cpu_share <= 1:
        parser.error("--cpu-share must be between 0 and 1")
    try:
        parsed = parse_files(args.reports)
    except ReportError as exc:
        parser.exit(2, f"error: {exc}\n")
    sample = tuple(
        Request(
            wall_ms=r.duration_ms,
            cpu_ms=r.duration_ms * args.cpu_share,
            billed_ms=r.billed_ms,
            lambda_memory_mb=args.lambda_memory_mb or r.memory_size_mb,
            peak_memory_mb=r.max_memory_used_mb,
        )
        for r in parsed.reports
    )
    count = len(sample)
    monthly = args.requests if args.requests is not None else float(count)
    workload = Workload(sample=sample, monthly_requests=monthly, **_session_options(args))
    return workload, _describe_reports(args, parsed, monthly), _report_assumptions(args, parsed)


def _describe_reports(args: argparse.Namespace, parsed: Parsed, monthly: float) -> str:
    reports = parsed.reports
    cold = sum(r.cold for r in reports)
    mean = sum(r.duration_ms for r in reports) / len(reports)
    sizes = sorted({r.memory_size_mb for r in reports})
    files = ", ".join(str(p) for p in args.reports)
    return (
        f"{len(reports):,} REPORT records ({cold} cold starts) from {files}, "
        f"{parsed.other_lines} other lines skipped; priced as {monthly:,.0f} requests a month; "
        f"mean Duration {mean:,.1f} ms, {args.cpu_share:.0%} of it taken as CPU; "
        f"Max Memory Used up to {max(r.max_memory_used_mb for r in reports):,} MB; "
        f"Lambda Memory Size {'/'.join(f'{s:,}' for s in sizes)} MB"
        + (f" (priced at {args.lambda_memory_mb:,} MB)" if args.lambda_memory_mb else "")
    )


def _report_assumptions(args: argparse.Namespace, parsed: Parsed) -> list[str]:
    notes = [
        f"REPORT lines do not say how much of Duration is CPU: {args.cpu_share:.0%} is assumed (--cpu-share)",
        "Lambda is priced on Billed Duration as printed (it includes INIT for cold starts since 2025-08-01), "
        "arm64 on the same durations; AgentCore on Duration, with Max Memory Used as the session's peak",
    ]
    if args.requests is None:
        notes.append("the file is taken as one month of traffic (set --requests to scale it)")
    if args.lambda_memory_mb:
        notes.append("Lambda priced at --lambda-memory-mb with the same billed durations")
    notes += [f"ignored text: {text}" for text in parsed.ignored_text[:5]]
    if len(parsed.ignored_text) > 5:
        notes.append(f"ignored text in {len(parsed.ignored_text) - 5} more records")
    return notes


def _session_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "requests_per_session": args.requests_per_session,
        "session_gap_s": args.session_gap_s,
        "startup_s": args.startup_s,
        "payload_mb": args.payload_mb,
        "v2_memory_mb": args.v2_memory_mb,
    }


def parse_args(argv: Sequence[str] | None = None) -> Run:
    """Parse the command line into a Run; exit with a message on bad input."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.requests_per_session < 1:
        parser.error("--requests-per-session must be 1 or more")
    if args.session_gap_s < 0 or args.startup_s < 0:
        parser.error("--session-gap-s and --startup-s must not be negative")
    if args.lambda_memory_mb is not None and args.lambda_memory_mb < 1:
        parser.error("--lambda-memory-mb must be positive")
    if args.idle_timeout is not None and not 60 <= args.idle_timeout <= 1_209_600:
        parser.error("--idle-timeout must be 60 to 1,209,600 s (28,800 on microVMs)")
    build = _reports if args.reports else _profile
    workload, describe, notes = build(args, parser)
    notes += _common_assumptions(args, workload)
    versions = VERSIONS if args.platform_version == "both" else (args.platform_version,)
    return Run(
        workload,
        describe,
        tuple(notes),
        args.free_tier,
        args.architecture,
        versions,
        args.idle_timeout,
        args.json,
        args.plot,
    )


def _common_assumptions(args: argparse.Namespace, workload: Workload) -> list[str]:
    notes = [
        "the same wall time on every platform; Lambda first-tier rates, billed duration in 1 ms steps"
        + (", free tier subtracted" if args.free_tier else ", no free tier (--free-tier to subtract it)"),
        f"{args.requests_per_session} request{'' if args.requests_per_session == 1 else 's'} "
        "per AgentCore session"
        + (f", {args.session_gap_s:g} s apart" if args.requests_per_session > 1 else "")
        + "; CPU billed only while computing, memory at the session's peak (at least 128 MB) every second",
        f"session start-up billed: {args.startup_s:g} s (--startup-s; AWS measured about 2 s to first "
        "response on V2 and 2.85 to 30 s on V1, not all of it inside the session)",
    ]
    if min(r.lambda_memory_mb for r in workload.sample) < 128:
        notes.append("Lambda memory below its 128 MB minimum is priced as 128 MB")
    if args.v2_memory_mb is None:
        notes.append(
            "V2 bills the same peak memory as V1 (an upper bound: V2 reclaims memory it does not use)"
        )
    if args.requests_per_session > 1 and args.session_gap_s >= 60:
        notes.append(
            "a gap of 60 s or more ends a session under the 60 s idle timeout: idle_60 is not reachable"
        )
    return notes


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status."""
    run = parse_args(argv)
    result = compare(run.workload, run.free_tier)
    if run.json:
        print(json.dumps(result, indent=2))
        # The JSON keeps exactly the pinned keys; the caveat goes to stderr so it is never lost.
        print(f"cost_model: {CAVEAT}", file=sys.stderr)
    else:
        print(render(run, result))
    if run.plot:
        from cost_model.plot import write_plot  # matplotlib only when a plot is asked for

        write_plot(run, run.plot)
        if not run.json:
            print(f"Plot: {run.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
