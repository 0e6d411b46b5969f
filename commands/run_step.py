"""`run-step STEP` (`make run STEP=...`): serve one step's agent.py on a loopback port as its image does
(`python agent.py`), as `agentcore dev` does but without uv. A sink step's resources are created in an
embedded AWS unless the environment already names them (SQS_QUEUE_URL, S3_BUCKET_NAME,
DYNAMODB_TABLE_NAME)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from contextlib import ExitStack
from typing import Any

from local_cloud.aws import EmbeddedAws
from shared.sinks.settings import DYNAMODB_TABLE_NAME, S3_BUCKET_NAME, SQS_QUEUE_URL

from .errors import fail
from .stage import refresh_if_stale
from .steps import AGENT_STEPS, ROOT
from .worlds import create_sinks

__all__ = ["main"]

# What each sink step must be told; without it, run-step makes the resource locally.
NEEDS = {"2_sqs_sink": SQS_QUEUE_URL, "3_s3_sink": S3_BUCKET_NAME, "4_dynamodb_sink": DYNAMODB_TABLE_NAME}


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Serve the step until interrupted; stop the embedded AWS with it."""
    parser = argparse.ArgumentParser(prog="run-step", description=__doc__.splitlines()[0])
    parser.add_argument("step", metavar="STEP", help=f"an AgentCore step folder: {', '.join(AGENT_STEPS)}")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    step = args.step.rstrip("/")
    folder = ROOT / step
    if step not in AGENT_STEPS:
        return fail(f"{step!r} is not an AgentCore step folder; one of {', '.join(AGENT_STEPS)}")
    refresh_if_stale(folder)
    env = dict(os.environ)
    signal.signal(signal.SIGTERM, _interrupt)
    with ExitStack() as stack:
        variable = NEEDS.get(step)
        if variable and not env.get(variable):
            aws = stack.enter_context(EmbeddedAws())
            resources = create_sinks(aws)
            env.update({**aws.env(), **resources.env()})
            print(
                f"embedded AWS (moto) at {aws.endpoint_url}: {variable}={resources.env()[variable]} "
                f"(export {variable} to use your own)",
                flush=True,
            )
        env.update(
            {
                "PORT": str(args.port),
                "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
            }
        )
        print(
            f"serving {step} on http://127.0.0.1:{args.port} (python agent.py); Ctrl-C stops it", flush=True
        )
        child = subprocess.Popen([sys.executable, "agent.py"], cwd=folder, env=env)
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.terminate()
            child.wait(timeout=15)
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
