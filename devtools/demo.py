"""`make demo`: steps 1-4 end to end on an embedded AWS, each served over the real runtime contract.

Starts moto's server on a loopback port, creates the queue, bucket and table, starts every step as
its own uvicorn process, sends the seed payloads over HTTP, reads back what landed and prints it.
Exits non-zero on any mismatch; stops everything it started.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from devtools.demo_step0 import run_step0_demo
from devtools.demo_step5 import run_step5_demo
from devtools.emulator import EmbeddedAws, Resources
from devtools.report import Row, print_rows
from devtools.serve import StepServer

# Every runtime invocation carries a session id (33-256 characters); the demo sends one like agentcore invoke.
SESSION_ID = f"demo-session-{uuid.uuid4()}"


def _invoke(server: StepServer, payload: Any) -> tuple[int, dict[str, Any]]:
    return server.invoke(payload, headers={"X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": SESSION_ID})


def _check_step1(server: StepServer, aws: EmbeddedAws, res: Resources) -> list[Row]:
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


def _check_step2(server: StepServer, aws: EmbeddedAws, res: Resources) -> list[Row]:
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


def _check_step3(server: StepServer, aws: EmbeddedAws, res: Resources) -> list[Row]:
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


def _check_step4(server: StepServer, aws: EmbeddedAws, res: Resources) -> list[Row]:
    payload = {"prompt": {"a": 4, "b": 5}}
    status, body = _invoke(server, payload)
    item: dict[str, Any] = {}
    if status == 200:
        got = aws.client("dynamodb").get_item(TableName=res.table_name, Key={"id": {"S": body["item_id"]}})
        item = {k: next(iter(v.values())) for k, v in got.get("Item", {}).items()}
    ok = (
        status == 200
        and body.get("dynamodb_stored") is True
        and item.get("result") == "9"
        and int(item.get("ttl", 0)) > time.time()
    )
    rows = [Row(server.step, json.dumps(payload), f"{status} {json.dumps(body)}", f"DynamoDB: {item}", ok)]
    return rows + _check_step4_async(server, aws, res)


def _check_step4_async(server: StepServer, aws: EmbeddedAws, res: Resources) -> list[Row]:
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
        got = aws.client("dynamodb").get_item(TableName=res.table_name, Key={"id": {"S": view["item_id"]}})
        item = {k: next(iter(v.values())) for k, v in got.get("Item", {}).items()}
    # The task is completed just after the job's final state is written: allow it a moment.
    idle = server.ping()["status"]
    for _ in range(50):
        if idle == "Healthy":
            break
        time.sleep(0.05)
        idle = server.ping()["status"]
    ok = (
        status == 202
        and busy == "HealthyBusy"
        and view.get("status") == "SUCCEEDED"
        and item.get("result") == "9"
        and idle == "Healthy"
    )
    landed = f"ping {busy} -> {idle}; after {polls} polls {view.get('status')}; DynamoDB: {item}"
    return [Row(f"{server.step} (async job)", json.dumps(payload), f"{status} {json.dumps(job)}", landed, ok)]


CHECKS: dict[str, Callable[[StepServer, EmbeddedAws, Resources], list[Row]]] = {
    "1_compute_without_model": _check_step1,
    "2_sqs_sink": _check_step2,
    "3_s3_sink": _check_step3,
    "4_dynamodb_sink": _check_step4,
}


def main() -> int:
    """Run the demo and return the exit code."""
    started = time.monotonic()
    step0 = run_step0_demo()
    with EmbeddedAws() as aws:
        res = aws.create_resources()
        print(f"embedded AWS (moto) at {aws.endpoint_url}, region {aws.region}")
        print(f"  queue {res.queue_url}\n  bucket {res.bucket}\n  table {res.table_name} (TTL on `ttl`)")
        env = {**aws.env(), **res.env()}
        servers = [StepServer(step, env) for step in CHECKS]
        try:
            with ThreadPoolExecutor(len(servers)) as pool:
                list(pool.map(StepServer.start, servers))
            for server in servers:
                print(f"  {server.step} serving POST /invocations, GET /ping at {server.url}")
            rows = [row for server in servers for row in CHECKS[server.step](server, aws, res)]
        finally:
            for server in servers:
                server.stop()
        rows += run_step5_demo(aws, res)
    print()
    for line in step0 or []:
        print(line)
    print_rows(rows)
    failed = [row for row in rows if not row.ok]
    failed_step0 = [line for line in step0 or [] if line.startswith("[FAIL]")]
    passed = len(rows) - len(failed) + len([line for line in step0 or [] if line.startswith("[PASS]")])
    elapsed = time.monotonic() - started
    print(f"\n{passed} passed, {len(failed) + len(failed_step0)} failed in {elapsed:.1f} s")
    return 1 if failed or failed_step0 else 0


if __name__ == "__main__":
    sys.exit(main())
