"""`agentcore-local`: serve the local AgentCore data plane; `agentcore-local sessions`: show its sessions.

agentcore-local --runtime step1=1_compute_without_model [--port 8081]
agentcore-local sessions [--endpoint http://127.0.0.1:8081]
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request

from local_cloud.agentcore import (
    CONTAINER_ERRORS,
    AgentCoreLocal,
    RuntimeSpec,
    Settings,
    session_lines,
)
from local_cloud.agentcore.models import SERVICE_MINIMUM_SECONDS
from local_cloud.agentcore.storage import check_mount_path
from local_cloud.processes import START_MODES

from .errors import fail
from .foreground import positive_number, serve_foreground
from .steps import app_folder
from .worlds import step_runtime

DEFAULT_PORT = 8081


def _serve_parser() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="agentcore-local",
        description="A local AgentCore Runtime data plane: one process per session. "
        "`agentcore-local sessions` lists its sessions.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    parser.add_argument(
        "--runtime", action="append", default=[], metavar="NAME=STEP_FOLDER",
        help="serve STEP_FOLDER/agent.py as arn:aws:bedrock-agentcore:<region>:123456789012:runtime/NAME",
    )  # fmt: skip
    parser.add_argument(
        "--aws-endpoint", metavar="URL", help="embedded AWS (moto) to read deployed runtimes from"
    )
    parser.add_argument("--idle-timeout", type=positive_number, default=defaults.idle_timeout, metavar="S")
    parser.add_argument("--max-lifetime", type=positive_number, default=defaults.max_lifetime, metavar="S")
    parser.add_argument(
        "--stop-grace",
        type=positive_number,
        default=defaults.stop_grace,
        metavar="S",
        help="SIGTERM, then SIGKILL",
    )
    parser.add_argument("--max-sessions", type=int, default=defaults.max_sessions, help="live-session quota")
    parser.add_argument(
        "--start-mode", choices=START_MODES, default=defaults.start_mode,
        help="spawn: a fresh interpreter per session (realistic cold starts); fork: from a zygote",
    )  # fmt: skip
    parser.add_argument("--container-errors", choices=CONTAINER_ERRORS, default="passthrough")
    parser.add_argument(
        "--session-storage", metavar="PATH",
        help="the session storage mount path (e.g. /mnt/data) of every runtime served: each session gets a "
        "directory of its own that outlives its process, named by SESSION_STORAGE_PATH",
    )  # fmt: skip
    return parser


def serve(argv: list[str]) -> int:
    """Serve until interrupted (Ctrl-C or SIGTERM end every session first)."""
    args = _serve_parser().parse_args(argv)
    for flag, value in (("--idle-timeout", args.idle_timeout), ("--max-lifetime", args.max_lifetime)):
        if value < SERVICE_MINIMUM_SECONDS:
            print(f"warning: {flag} {value:g} s is below the service's minimum of 60 s", file=sys.stderr)
    if args.session_storage is not None:
        try:
            check_mount_path(args.session_storage)
        except ValueError as exc:
            return fail(f"--session-storage: {exc}")
    runtimes = [_runtime(flag) for flag in args.runtime]
    plane = AgentCoreLocal(
        runtimes,
        aws_endpoint=args.aws_endpoint,
        port=args.port,
        container_errors=args.container_errors,
        idle_timeout=args.idle_timeout,
        max_lifetime=args.max_lifetime,
        stop_grace=args.stop_grace,
        max_sessions=args.max_sessions,
        start_mode=args.start_mode,
        session_storage=args.session_storage,
    )
    return serve_foreground(
        plane,
        args.port,
        lambda: [
            *(f"  runtime {spec.arn} <- {spec.folder}" for spec in runtimes),
            f"AgentCore data plane at {plane.endpoint_url}",
        ],
    )


def _runtime(flag: str) -> RuntimeSpec:
    try:
        name, path = app_folder(flag, "--runtime")
    except ValueError as exc:
        raise SystemExit(fail(str(exc))) from None
    return step_runtime(name, path)


def sessions(argv: list[str]) -> int:
    """Print the session table and the priced usage of a running data plane."""
    parser = argparse.ArgumentParser(prog="agentcore-local sessions")
    parser.add_argument("--endpoint", default=f"http://127.0.0.1:{DEFAULT_PORT}")
    parser.add_argument("--json", action="store_true", help="the raw /_local/sessions list")
    args = parser.parse_args(argv)
    url = f"{args.endpoint.rstrip('/')}/_local/sessions"
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            views = json.loads(resp.read())
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return fail(
            f"no local data plane answers at {args.endpoint} ({reason}); start one with "
            "`agentcore-local --runtime NAME=STEP_FOLDER`, or give --endpoint"
        )
    print(json.dumps(views, indent=2) if args.json else "\n".join(session_lines(views)))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Dispatch `sessions` or serve."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["sessions"]:
        return sessions(argv[1:])
    return serve(argv)


if __name__ == "__main__":
    raise SystemExit(main())
