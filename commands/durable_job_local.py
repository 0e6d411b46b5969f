"""`durable-job-local [PAYLOAD]`: run one durable job (on_lambda/durable_job) to its end, locally: the durable
SDK's runner plays the Lambda service (time skipped: a 20-minute wait takes a moment), an embedded AWS holds
the step 4 table. Prints the execution's result or error, its operations and history, its invocations and
how long it took, and the item it wrote. Exit status 1 when the execution failed.

PAYLOAD is step 4's async job payload (default {"prompt": {"a": 7, "b": 2}, "delay_seconds": 1200});
`--name` is the durable execution name (the service's idempotency key; the local runner does not
deduplicate names); `--json` prints one JSON object instead.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from local_cloud.aws import EmbeddedAws, dynamodb_item
from local_cloud.durable import DurableRun

from .errors import fail
from .steps import ROOT
from .worlds import DURABLE_JOB, create_sinks, run_durable_job

__all__ = ["DEFAULT_PAYLOAD", "main", "report_lines"]

DEFAULT_PAYLOAD = '{"prompt": {"a": 7, "b": 2}, "delay_seconds": 1200}'


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:,.3f} s"


def report_lines(run: DurableRun, item: dict[str, Any]) -> list[str]:
    """What one execution did, as printed: outcome, operations, history, invocations, the item."""
    outcome = json.dumps(run.result) if run.status == "SUCCEEDED" else json.dumps(run.error)
    count = len(run.invocations)
    each = ", ".join(f"{seconds * 1000:.0f} ms" for seconds in run.invocations)
    lines = [
        f"execution {run.name} ({run.arn}): {run.status}",
        f"  {'result' if run.status == 'SUCCEEDED' else 'error'}: {outcome}",
        f"  time: {run.wall_seconds:.2f} s of wall time for {run.modeled_seconds:,.1f} s of the execution's "
        f"time; {count} invocation{'s' if count != 1 else ''} ({each})",
        f"  operations ({run.checkpointed_operations} checkpointed: the start, each step attempt, each wait)",
    ]
    for op in run.operations:
        attempt = f"attempt {op.attempt}" if op.attempt else ""
        seconds = _seconds(op.modeled_seconds)
        lines.append(f"    {op.kind:<5} {op.name or '-':<8} {op.status:<10} {attempt:<10} {seconds}")
    # Operation events name their operation; execution events carry the execution's name, shown above.
    named = ("Step", "Wait")
    history = ", ".join(f"{kind} {name}" if kind.startswith(named) else kind for kind, name in run.events)
    lines.append(f"  history: {history}")
    lines.append(f"  item: {json.dumps(item) if item else '(none written)'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run one job and print what it did."""
    parser = argparse.ArgumentParser(prog="durable-job-local", description=__doc__.splitlines()[0])
    parser.add_argument(
        "payload", nargs="?", default=DEFAULT_PAYLOAD, help=f"the job (default {DEFAULT_PAYLOAD})"
    )
    parser.add_argument("--name", default="durable-job-local", help="the durable execution name")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        payload = json.loads(args.payload)
    except ValueError as exc:
        return fail(f"PAYLOAD is not JSON ({exc}); e.g. '{DEFAULT_PAYLOAD}'", 2)
    with EmbeddedAws() as aws:
        resources = create_sinks(aws)
        run = run_durable_job(aws, resources, payload, name=args.name)
        item_id = (run.result or {}).get("item_id") if isinstance(run.result, dict) else None
        item = dynamodb_item(aws, resources.table_name, item_id) if item_id else {}
    if args.json:
        print(json.dumps({**asdict(run), "item": item}, default=str))
    else:
        print(f"{DURABLE_JOB.relative_to(ROOT)}/handler.py, run by the durable SDK's runner (time skipped)")
        print(f"embedded AWS (moto) at {aws.endpoint_url}, table {resources.table_name}")
        print("\n".join(report_lines(run, item)))
    return 0 if run.status == "SUCCEEDED" else 1


if __name__ == "__main__":
    raise SystemExit(main())
