"""Helpers for the durable job's tests: run it with the durable SDK's runner, read the table, its client."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from commands.worlds import DURABLE_JOB_MODULE, durable_job_handler
from local_cloud.aws import EmbeddedAws
from local_cloud.durable import DurableRun, run_execution
from shared.aws import client
from shared.aws.dynamodb import from_item

# Run with `python -I` against a package folder (a staged copy, what `sam build` built): `shared` must come
# from the folder (checked), anything else first from it (the SDK's origin is reported); the runner, which
# no package carries, from the paths given after it.
PROBE = """
import json, sys
sys.path[:0] = [sys.argv[1]]
sys.path += json.loads(sys.argv[3])
import handler, shared, aws_durable_execution_sdk_python as sdk
assert shared.__file__.startswith(sys.argv[1]), shared.__file__
from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner
with DurableFunctionTestRunner(handler=handler.handler) as runner:
    done = runner.run(input=sys.argv[2], execution_timeout=60)
print(json.dumps({"status": done.status.value, "result": json.loads(done.result or "null"),
                  "python": sys.version.split()[0], "sdk": sdk.__file__}))
"""

# Step 4's async job payload (its "mode": "async" is optional here: a durable job is always async).
PAYLOAD = {"prompt": {"a": 7, "b": 2}, "delay_seconds": 1200}


def run(payload: Any, name: str = "execution-name") -> DurableRun:
    """Run one execution of the durable job to its end, in this process's environment (time skipped)."""
    return run_execution(durable_job_handler(), payload, name=name, timeout=60)


def items(aws: EmbeddedAws, table: str) -> list[dict[str, Any]]:
    """Every item of the table, decoded (numbers as Decimal), read consistently."""
    return [
        from_item(item) for item in aws.client("dynamodb").scan(TableName=table, ConsistentRead=True)["Items"]
    ]


def handler_client() -> Any:
    """The DynamoDB client the handler writes with (this process's, built once): faults go on it."""
    return client("dynamodb")


def job_module() -> Any:
    """The handler's module, as the runner imports it (its constants: the write's attempts, the margin)."""
    durable_job_handler()
    return sys.modules[DURABLE_JOB_MODULE]


def probe(
    python: str, package: Path, payload: Any, env: Mapping[str, str], runner_paths: Sequence[str] = ()
) -> dict[str, Any]:
    """Run one job from the package folder alone in a fresh interpreter; its status and result."""
    done = subprocess.run(
        [python, "-I", "-c", PROBE, str(package), json.dumps(payload), json.dumps(list(runner_paths))],
        cwd=package.parent, env=dict(env), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))
