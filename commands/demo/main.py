"""`make demo`: steps 1-5 end to end on an embedded AWS, each behind the local AgentCore data plane.

Starts moto's server on a loopback port, creates the queue, bucket and table, serves every step as a
runtime of the local data plane (local_cloud.agentcore: one process per session, started on its
first invocation as the service starts a microVM), sends the seed payloads with InvokeAgentRuntime
over HTTP, reads back what landed and prints it, then the session table with what the sessions would
cost. Exits non-zero on any mismatch; stops everything it started.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cost_model.measured import AgentCoreSession, render
from local_cloud.agentcore import AgentCoreLocal, session_lines
from local_cloud.aws import EmbeddedAws, dynamodb_item

from ..worlds import STEP4_RUNTIME_NAME, Resources, create_sinks, step_runtime
from .durable import run_durable_demo
from .events import run_events_demo
from .rows import Row, Usage, print_rows
from .sessions import run_sessions_demo
from .step0 import run_step0_demo
from .step5 import run_step5_demo

# Every runtime invocation carries a session id (33-256 characters); the demo sends one like agentcore invoke.
SESSION_ID = f"demo-session-{uuid.uuid4()}"


@dataclass
class Runtime:
    """One step served by the local data plane; the demo's calls go to one session of it."""

    step: str
    plane: AgentCoreLocal
    arn: str

    def invoke(self, payload: Any) -> tuple[int, dict[str, Any]]:
        """InvokeAgentRuntime over HTTP, in the demo's session."""
        status, _, body = self.plane.invoke(self.arn, payload, SESSION_ID)
        return status, body

    def ping(self) -> dict[str, Any]:
        """GET /ping of the session's process."""
        return self.plane.ping(self.arn, SESSION_ID)


def runtime_name(step: str) -> str:
    """A runtime name for a step folder (runtime names start with a letter): 2_sqs_sink -> step2_sqs_sink."""
    return STEP4_RUNTIME_NAME if step == "4_dynamodb_sink" else f"step{step}"


def _invoke(server: Runtime, payload: Any) -> tuple[int, dict[str, Any]]:
    return server.invoke(payload)


def _check_step1(server: Runtime, aws: EmbeddedAws, res: Resources) -> list[Row]:
    rows = []
    for payload, expected in (({"prompt": {"a": 1, "b": 2}}, 3), ({"prompt": {"a": 0.1, "b": 0.2}}, 0.3)):
        status, body = _invoke(server, payload)
        rows.append(
            Row(server.step, json.dumps(payload), f"{status} {json.dumps(body)}", "(no AWS call)",
                status == 200 and body == {"result": expected})
        )  # fmt: skip
    status, body = _invoke(server, {"prompt": {"a": "1", "b": 2}})
    rows.append(
        Row(server.step, '{"prompt": {"a": "1", "b": 2}}', f"{status} {body['error']['code']}",
            "(nothing written)", status == 400 and body["error"]["field"] == "prompt.a")
    )  # fmt: skip
    return rows


def _check_step2(server: Runtime, aws: EmbeddedAws, res: Resources) -> list[Row]:
    payload = {"prompt": {"a": 5, "b": 3}}
    status, body = _invoke(server, payload)
    sqs = aws.client("sqs")
    messages = sqs.receive_message(QueueUrl=res.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    landed = [json.loads(m["Body"]) for m in messages.get("Messages", [])]
    ok = (
        status == 200
        and body.get("result") == 8
        and body.get("message_sent") is True
        and len(landed) == 1
        and landed[0]["result"] == 8
        and landed[0]["request_id"] == body.get("request_id")
    )
    shown = json.dumps(landed[0]) if landed else "(no message)"
    return [Row(server.step, json.dumps(payload), f"{status} {json.dumps(body)}", f"SQS: {shown}", ok)]


def _check_step3(server: Runtime, aws: EmbeddedAws, res: Resources) -> list[Row]:
    payload = {"prompt": {"a": 1, "b": 2}}
    status, body = _invoke(server, payload)
    landed: Any = None
    if status == 200:
        obj = aws.client("s3").get_object(Bucket=res.bucket, Key=body["s3_key"])
        landed = json.loads(obj["Body"].read())
        landed_type = obj["ContentType"]
    ok = (
        status == 200
        and body.get("s3_stored") is True
        and landed is not None
        and landed["result"] == 3
        and landed_type == "application/json"
    )
    shown = f"s3://{res.bucket}/{body.get('s3_key')}: {json.dumps(landed)}"
    return [Row(server.step, json.dumps(payload), f"{status} {json.dumps(body)}", shown, ok)]


def _check_step4(server: Runtime, aws: EmbeddedAws, res: Resources) -> list[Row]:
    payload = {"prompt": {"a": 4, "b": 5}}
    status, body = _invoke(server, payload)
    item: dict[str, Any] = {}
    if status == 200:
        item = dynamodb_item(aws, res.table_name, body["item_id"])
    ok = (
        status == 200
        and body.get("dynamodb_stored") is True
        and item.get("result") == "9"
        and int(item.get("ttl", 0)) > time.time()
    )
    rows = [Row(server.step, json.dumps(payload), f"{status} {json.dumps(body)}", f"DynamoDB: {item}", ok)]
    return rows + _check_step4_async(server, aws, res)


def _check_step4_async(server: Runtime, aws: EmbeddedAws, res: Resources) -> list[Row]:
    payload = {"prompt": {"a": 7, "b": 2}, "mode": "async", "delay_seconds": 1}
    status, job = _invoke(server, payload)
    busy = server.ping()["status"]
    view: dict[str, Any] = {}
    polls = 0
    deadline = time.monotonic() + 30
    while status == 202 and time.monotonic() < deadline:
        polls += 1
        _, view = _invoke(server, {"job_status": job["job_id"]})
        if view.get("status") in ("SUCCEEDED", "FAILED"):
            break
        time.sleep(0.2)
    item: dict[str, Any] = {}
    if view.get("item_id"):
        item = dynamodb_item(aws, res.table_name, view["item_id"])
    # A finished job ends its own session (StopRuntimeSession on the ARN the runtime was started with), so
    # it does not idle, billed, until the idle timeout: the session must end, stopped, soon after the job.
    try:
        ended = server.plane.wait_ended(server.arn, SESSION_ID, timeout=15)
        idle = f"ended ({ended['ended_reason']})"
    except TimeoutError:
        idle = "still running 15 s after its job"
    ok = (
        status == 202
        and busy == "HealthyBusy"
        and view.get("status") == "SUCCEEDED"
        and item.get("result") == "9"
        and idle == "ended (stopped)"
    )
    landed = f"ping {busy} -> {idle}; after {polls} polls {view.get('status')}; DynamoDB: {item}"
    return [Row(f"{server.step} (async job)", json.dumps(payload), f"{status} {json.dumps(job)}", landed, ok)]


CHECKS: dict[str, Callable[[Runtime, EmbeddedAws, Resources], list[Row]]] = {
    "1_compute_without_model": _check_step1,
    "2_sqs_sink": _check_step2,
    "3_s3_sink": _check_step3,
    "4_dynamodb_sink": _check_step4,
}


def main() -> int:
    """Run the demo and return the exit code."""
    started = time.monotonic()
    step0 = run_step0_demo()
    usage = Usage()
    with EmbeddedAws() as aws:
        res = create_sinks(aws)
        print(f"embedded AWS (moto) at {aws.endpoint_url}, region {aws.region}")
        print(f"  queue {res.queue_url}\n  bucket {res.bucket}\n  table {res.table_name} (TTL on `ttl`)")
        env = {**aws.env(), **res.env()}
        specs = [step_runtime(runtime_name(step), step, env) for step in CHECKS]
        with AgentCoreLocal(specs, aws_endpoint=aws.endpoint_url) as plane:
            print(f"AgentCore data plane at {plane.endpoint_url}")
            for spec in specs:
                print(f"  {spec.arn} <- {spec.folder.name}")
            servers = [Runtime(step, plane, spec.arn) for step, spec in zip(CHECKS, specs, strict=True)]
            rows = [row for server in servers for row in CHECKS[server.step](server, aws, res)]
            rows += run_step5_demo(aws, res, plane)
            rows += run_events_demo(aws, res)
            rows += run_durable_demo(aws, res, plane, usage)
            stopped = end_open_sessions(plane)
            views = plane.sessions()
            sessions = session_lines(views)
    usage.agentcore += [
        AgentCoreSession(v["usage"]["session_seconds"], v["usage"]["cpu_seconds"], v["usage"]["peak_rss_mb"])
        for v in views
    ]
    rows += run_sessions_demo(usage)
    print()
    for line in step0 or []:
        print(line)
    print_rows(rows)
    print("\nsessions of the local AgentCore data plane (one process each), and what they would cost:")
    for line in sessions:
        print(f"  {line}")
    if stopped:
        print(
            f"  ({stopped} sessions the checks left open were ended with StopRuntimeSession at the end, as a "
            "caller should: left alone, each would idle, billed, until its idle timeout)"
        )
    print("\nwhat the demo's own runs would cost at list prices (the cost model's table, measured usage):")
    print(render(usage.agentcore, usage.microvms, usage.durable))
    failed = [row for row in rows if not row.ok]
    failed_step0 = [line for line in step0 or [] if line.startswith("[FAIL]")]
    passed = len(rows) - len(failed) + len([line for line in step0 or [] if line.startswith("[PASS]")])
    elapsed = time.monotonic() - started
    print(f"\n{passed} passed, {len(failed) + len(failed_step0)} failed in {elapsed:.1f} s")
    print("\n".join(["", "What next:", *WHAT_NEXT]))
    return 1 if failed or failed_step0 else 0


# Three commands to paste at the repository root; each step's README says more.
WHAT_NEXT = (
    "  serve a step locally and call it:  .venv/bin/serve-local 2_sqs_sink",
    "  price your own Lambda function:    examples/lambda_reports/README.md (.venv/bin/cost-model --reports)",
    "  deploy a step to your account:     make deploy STEP=2_sqs_sink  (after infra/README.md's two stacks)",
)


def end_open_sessions(plane: AgentCoreLocal) -> int:
    """StopRuntimeSession on every session the checks left running; how many there were."""
    open_ones = [view for view in plane.sessions() if view["status"] == "running"]
    for view in open_ones:
        plane.stop_session(view["runtime_arn"], view["session_id"])
    for view in open_ones:
        plane.wait_ended(view["runtime_arn"], view["session_id"], timeout=30)
    return len(open_ones)


if __name__ == "__main__":
    sys.exit(main())
