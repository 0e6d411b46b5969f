"""`python -m devtools.agentcore_local`: serve the local data plane; `... sessions`: show its sessions.

python -m devtools.agentcore_local --runtime step1=1_compute_without_model [--port 8081]
python -m devtools.agentcore_local sessions [--endpoint http://127.0.0.1:8081]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import urllib.request
from typing import Any

from devtools.agentcore_local.plane import CONTAINER_ERRORS, AgentCoreLocal
from devtools.agentcore_local.processes import START_MODES
from devtools.agentcore_local.runtimes import folder_runtime, parse_runtime_flag
from devtools.agentcore_local.sessions import SERVICE_MINIMUM_SECONDS, Settings
from devtools.agentcore_local.table import session_lines

DEFAULT_PORT = 8081


def _seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def _serve_parser() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="python -m devtools.agentcore_local",
        description="A local AgentCore Runtime data plane: one process per session. "
        "`python -m devtools.agentcore_local sessions` lists its sessions.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    parser.add_argument(
        "--runtime", action="append", default=[], metavar="NAME=STEP_FOLDER",
        help="serve STEP_FOLDER/agent.py as arn:aws:bedrock-agentcore:<region>:123456789012:runtime/NAME",
    )  # fmt: skip
    parser.add_argument(
        "--aws-endpoint", metavar="URL", help="embedded AWS (moto) to read deployed runtimes from"
    )
    parser.add_argument("--idle-timeout", type=_seconds, default=defaults.idle_timeout, metavar="S")
    parser.add_argument("--max-lifetime", type=_seconds, default=defaults.max_lifetime, metavar="S")
    parser.add_argument(
        "--stop-grace", type=_seconds, default=defaults.stop_grace, metavar="S", help="SIGTERM to SIGKILL"
    )
    parser.add_argument("--max-sessions", type=int, default=defaults.max_sessions, help="live-session quota")
    parser.add_argument(
        "--start-mode", choices=START_MODES, default=defaults.start_mode,
        help="spawn: a fresh interpreter per session (realistic cold starts); fork: from a zygote",
    )  # fmt: skip
    parser.add_argument("--container-errors", choices=CONTAINER_ERRORS, default="passthrough")
    return parser


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def serve(argv: list[str]) -> int:
    """Serve until interrupted (Ctrl-C or SIGTERM end every session first)."""
    args = _serve_parser().parse_args(argv)
    for flag, value in (("--idle-timeout", args.idle_timeout), ("--max-lifetime", args.max_lifetime)):
        if value < SERVICE_MINIMUM_SECONDS:
            print(f"warning: {flag} {value:g} s is below the service's minimum of 60 s", file=sys.stderr)
    runtimes = [folder_runtime(*parse_runtime_flag(flag)) for flag in args.runtime]
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
    )
    signal.signal(signal.SIGTERM, _interrupt)
    # Around everything: a SIGTERM that lands while starting or printing also unwinds through stop().
    with contextlib.suppress(KeyboardInterrupt), plane:
        for spec in runtimes:
            print(f"  runtime {spec.arn} <- {spec.folder}")
        print(f"AgentCore data plane at {plane.endpoint_url}", flush=True)
        plane.wait()
    return 0


def sessions(argv: list[str]) -> int:
    """Print the session table and the priced usage of a running data plane."""
    parser = argparse.ArgumentParser(prog="python -m devtools.agentcore_local sessions")
    parser.add_argument("--endpoint", default=f"http://127.0.0.1:{DEFAULT_PORT}")
    parser.add_argument("--json", action="store_true", help="the raw /_local/sessions list")
    args = parser.parse_args(argv)
    with urllib.request.urlopen(f"{args.endpoint.rstrip('/')}/_local/sessions", timeout=10) as resp:
        views = json.loads(resp.read())
    print(json.dumps(views, indent=2) if args.json else "\n".join(session_lines(views)))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Dispatch `sessions` or serve."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["sessions"]:
        return sessions(argv[1:])
    return serve(argv)


if __name__ == "__main__":
    sys.exit(main())
