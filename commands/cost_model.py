"""`cost-model`: a workload's monthly cost on every AWS home that publishes its rates, as a table or JSON,
and a plot.

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
    DurableJob,
    Homes,
    IdlePolicy,
    Parsed,
    ReportError,
    Request,
    Run,
    Startup,
    Tenancy,
    Workload,
    compare,
    figure,
    load_prices,
    parse_files,
    profile_workload,
    render,
)


def build_parser() -> argparse.ArgumentParser:
    """Return the command's argument parser."""
    startup = Startup.published()
    policy = IdlePolicy()
    parser = argparse.ArgumentParser(
        prog="cost-model",
        description=(
            "Monthly list price of a workload on every AWS home that publishes its rates: Lambda, with "
            "tenant isolation, durable functions, MicroVMs, and AgentCore Runtime (V1, V2)."
        ),
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
    options = parser.add_argument_group("Lambda and AgentCore")
    options.add_argument("--lambda-memory-mb", type=int, help="Lambda memory size (default: --memory-mb)")
    options.add_argument("--free-tier", action="store_true", help="subtract Lambda's monthly free tier")
    options.add_argument("--requests-per-session", type=int, default=1, help="requests sharing one session")
    options.add_argument("--session-gap-s", type=float, default=0.0, help="idle seconds between them")
    options.add_argument(
        "--startup-s",
        type=float,
        default=startup.seconds,
        help=f"billed start-up seconds per new AgentCore session (default {startup.seconds:g}, prices.json)",
    )
    options.add_argument(
        "--startup-cpu-s",
        type=float,
        default=startup.cpu_seconds,
        help=f"vCPU-seconds billed for that start-up (default {startup.cpu_seconds:g})",
    )
    options.add_argument(
        "--startup-memory-mb",
        type=float,
        default=startup.memory_mb,
        help=f"memory billed during that start-up (default {startup.memory_mb:g})",
    )
    options.add_argument("--idle-timeout", type=int, help="also price this idleRuntimeSessionTimeout, s")
    options.add_argument("--payload-mb", type=float, help="largest request or response, MB (limits only)")
    options.add_argument("--v2-memory-mb", type=float, help="memory V2 bills, if measured apart (USAGE_LOGS)")
    options.add_argument(
        "--architecture",
        choices=ARCHITECTURES,
        default="x86_64",
        help="Lambda to compare with, and the durable functions' architecture",
    )
    options.add_argument("--platform-version", choices=(*VERSIONS, "both"), default="both")
    tenancy = parser.add_argument_group("Lambda with tenant isolation (x86_64)")
    tenancy.add_argument(
        "--tenants", type=int, default=1, help="tenants a month: each needs its own environment"
    )
    tenancy.add_argument(
        "--requests-per-environment",
        type=float,
        help="requests one tenant environment serves (default: your REPORT lines' records per cold start, "
        "else 50 as in the pricing page's example)",
    )
    tenancy.add_argument(
        "--tenant-environments",
        type=float,
        help="new tenant environments a month, if you know it (a tenant-isolated function's cold starts)",
    )
    durable = parser.add_argument_group("Lambda durable functions: one execution per request")
    durable.add_argument("--durable-steps", type=int, help="steps per job (default: 2 around a wait, else 1)")
    durable.add_argument(
        "--durable-waits", type=int, help="waits (or callbacks) per job (default: 1 if it waits)"
    )
    durable.add_argument(
        "--durable-payload-kb", type=float, default=1.0, help="input written at the start, KB"
    )
    durable.add_argument(
        "--durable-checkpoint-kb", type=float, default=1.0, help="data each step or wait writes, KB"
    )
    durable.add_argument(
        "--durable-retention-days",
        type=float,
        help="kept after the execution ends, 1 to 90 days (default 14)",
    )
    microvms = parser.add_argument_group("Lambda MicroVMs: one per session, its idle policy")
    microvms.add_argument(
        "--microvm-idle-s",
        type=float,
        default=policy.max_idle_s,
        help=f"idle seconds before it is suspended (maxIdleDurationSeconds, at least 60; default "
        f"{policy.max_idle_s:g})",
    )
    microvms.add_argument(
        "--microvm-suspended-s",
        type=float,
        default=policy.suspended_s,
        help="suspended seconds before it is terminated, waiting for the next call "
        f"(suspendedDurationSeconds; default {policy.suspended_s:g})",
    )
    shown = parser.add_argument_group("output")
    shown.add_argument(
        "--json", action="store_true", help="print one JSON object (the pinned keys and the rest)"
    )
    shown.add_argument("--plot", type=Path, metavar="PATH", help="write a PNG of every home's cost")
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
        missing = [str(path) for path in args.reports if not path.exists()]
        hint = "; make one as examples/lambda_reports/README.md shows" if missing else ""
        parser.exit(2, f"error: {exc}{hint}\n")
    sample = tuple(
        Request(
            wall_ms=r.duration_ms,
            cpu_ms=r.duration_ms * args.cpu_share,
            billed_ms=r.billed_ms,
            lambda_memory_mb=args.lambda_memory_mb or r.memory_size_mb,
            peak_memory_mb=r.max_memory_used_mb,
            cold=r.cold,
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
        "startup": Startup(args.startup_s, args.startup_cpu_s, args.startup_memory_mb),
        "payload_mb": args.payload_mb,
        "v2_memory_mb": args.v2_memory_mb,
    }


def _check_options(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    if args.requests_per_session < 1:
        parser.error("--requests-per-session must be 1 or more")
    negative = [
        f"--{name.replace('_', '-')}"
        for name in (
            "session_gap_s",
            "startup_s",
            "startup_cpu_s",
            "startup_memory_mb",
            "microvm_suspended_s",
            "durable_payload_kb",
            "durable_checkpoint_kb",
        )
        if getattr(args, name) < 0
    ]
    negative += [
        f"--{name.replace('_', '-')}"
        for name in ("durable_steps", "durable_waits", "tenant_environments")
        if getattr(args, name) is not None and getattr(args, name) < 0
    ]
    if negative:
        parser.error(f"{', '.join(negative)} must not be negative")
    if args.lambda_memory_mb is not None and args.lambda_memory_mb < 1:
        parser.error("--lambda-memory-mb must be positive")
    if args.idle_timeout is not None and not 60 <= args.idle_timeout <= 1_209_600:
        parser.error("--idle-timeout must be 60 to 1,209,600 s (28,800 on microVMs)")
    if args.tenants < 1:
        parser.error("--tenants must be 1 or more")
    if args.requests_per_environment is not None and args.requests_per_environment < 1:
        parser.error("--requests-per-environment must be 1 or more")
    if args.durable_retention_days is not None and not 1 <= args.durable_retention_days <= 90:
        parser.error("--durable-retention-days must be 1 to 90 (DurableConfig RetentionPeriodInDays)")
    if not 60 <= args.microvm_idle_s <= 28_800:
        parser.error("--microvm-idle-s must be 60 to 28,800 s (maxIdleDurationSeconds)")


def _homes(args: argparse.Namespace) -> Homes:
    return Homes(
        architecture=args.architecture,
        tenancy=Tenancy(args.tenants, args.requests_per_environment, args.tenant_environments),
        durable=DurableJob(
            args.durable_steps,
            args.durable_waits,
            args.durable_payload_kb,
            args.durable_checkpoint_kb,
            args.durable_retention_days,
        ),
        idle_policy=IdlePolicy(args.microvm_idle_s, args.microvm_suspended_s),
    )


def parse_args(argv: Sequence[str] | None = None) -> Run:
    """Parse the command line into a Run; exit with a message on bad input."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_options(args, parser)
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
        _homes(args),
    )


def _common_assumptions(args: argparse.Namespace, workload: Workload) -> list[str]:
    prices = load_prices()
    notes = [
        "the same wall time on every home; Lambda first-tier rates, billed duration in 1 ms steps"
        + (", free tier subtracted" if args.free_tier else ", no free tier (--free-tier to subtract it)"),
        f"{args.requests_per_session} request{'' if args.requests_per_session == 1 else 's'} "
        "per AgentCore session and per MicroVM"
        + (f", {args.session_gap_s:g} s apart" if args.requests_per_session > 1 else "")
        + "; AgentCore bills CPU only while computing, memory at the session's peak (at least 128 MB) every "
        "second",
        f"AgentCore start-up billed per new session: {figure(args.startup_s)} s at "
        f"{figure(args.startup_memory_mb)} MB and {figure(args.startup_cpu_s)} vCPU-s (--startup-s, "
        "--startup-memory-mb, --startup-cpu-s; derived from AWS's measure-your-runtime sample on V2, where "
        "billed vCPU-hours ran at 2 to 3 times serving time; "
        "no V1 figure is published and the same is assumed)",
        "stopped after every request, files kept: each request starts its own session and stops it (managed "
        "session storage keeps the files); the storage itself is not priced",
        _tenancy_note(args),
        _durable_note(args, prices),
        _microvm_note(args),
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


def _tenancy_note(args: argparse.Namespace) -> str:
    if args.tenant_environments is not None:
        estimate = f"{figure(args.tenant_environments)} new environments a month (--tenant-environments)"
    else:
        per = (
            f"{figure(args.requests_per_environment)} (--requests-per-environment)"
            if args.requests_per_environment is not None
            else "your REPORT lines' records per cold start"
            if args.reports
            else "50, the pricing page example's 2% cold-start rate (--requests-per-environment)"
        )
        estimate = (
            f"a new environment per {per}, at least one per tenant ({figure(args.tenants)}, --tenants); "
            "what you may know instead: a tenant-isolated function's cold starts a month "
            "(--tenant-environments)"
        )
    return (
        f"Lambda tenant isolation: Lambda x86_64's charges plus one charge per new environment: {estimate}; "
        "INIT of those cold starts not added; arm64 not priced (its rate is not published)"
    )


def _durable_note(args: argparse.Namespace, prices: dict[str, Any]) -> str:
    retention = args.durable_retention_days or prices["lambda_durable"]["default_retention_days"]
    return " ".join(
        [
            f"Lambda durable ({args.architecture}): one execution per request, invoked asynchronously;",
            "as the pricing page counts: 1 start + each step + each wait are operations,",
            "1 invocation + 1 per wait are requests (replays' own time not added);",
            "waits suspended: the wait is a durable wait or callback (the work waited on runs elsewhere)",
            "and only the CPU time is billed, shared among the invocations;",
            "waiting inside a step: billed as a plain function;",
            f"{figure(args.durable_payload_kb)} KB input + {figure(args.durable_checkpoint_kb)} KB per step",
            f"or wait written, kept while it runs and {figure(retention)} days after",
            "(1 GB = 1,000,000 KB, 30-day months, as the page's example)",
        ]
    )


def _microvm_note(args: argparse.Namespace) -> str:
    return (
        "Lambda MicroVMs (arm64): one per session; baseline the smallest of 0.5/1/2/4/8 GB holding the peak "
        "memory (vCPU half its GB), billed every running second; a request computes on one vCPU, above the "
        "baseline billed as burst; a snapshot of the baseline's size read at launch and resume, written at "
        "each suspend; one image stored all month; launch time not billed (not stated). Idle policy: "
        f"suspended after {figure(args.microvm_idle_s)} s idle (--microvm-idle-s), terminated after "
        f"{figure(args.microvm_suspended_s)} s suspended (--microvm-suspended-s); left running holds it as "
        "long"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status."""
    run = parse_args(argv)
    result = compare(run.workload, run.free_tier, homes=run.homes)
    if run.json:
        print(json.dumps(result, indent=2))
        # The JSON keeps the pinned keys as they were, the new homes beside them; the caveat goes to stderr.
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
