"""Step 5 in `make demo`: curl-like calls through the local API Gateway, the Lambda proxy, the local
AgentCore data plane (devtools.agentcore_local: one step 4 process per session) and step 4, then the
DynamoDB item read back from the embedded AWS; and one async job (POST /jobs, GET /jobs/{id} until it
ends, its item read back).

`python -m devtools.demo_step5 --serve` keeps the whole local stack up for your own curl calls.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Mapping
from contextlib import ExitStack
from typing import Any

from devtools import http
from devtools.agentcore_local import AgentCoreLocal, RuntimeSpec, folder_runtime, runtime_arn
from devtools.apigw import ApiGatewayProcess
from devtools.emulator import EmbeddedAws, Resources
from devtools.records import dynamodb_item
from devtools.report import Row

STEP = "5_api_gateway_proxy"
RUNTIME_NAME = "step4_dynamodb_sink-local"
RUNTIME_ARN = runtime_arn(RUNTIME_NAME)


# How long the demo polls a job before calling it a failure.
JOB_POLL_SECONDS = 30.0


def _send(url: str, body: bytes | None, method: str) -> tuple[int, Mapping[str, str], dict[str, Any]]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    status, got, answer = http.call(url, body, headers, method=method)
    return status, got, answer or {}


def _post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    status, _, answer = _send(url, body, "POST")
    return status, answer


def step4_runtime(aws: EmbeddedAws, resources: Resources) -> RuntimeSpec:
    """Step 4 as the runtime the proxy invokes, on the embedded AWS and its sinks."""
    return folder_runtime(RUNTIME_NAME, "4_dynamodb_sink", {**aws.env(), **resources.env()})


def lambda_environment(aws: EmbeddedAws, resources: Resources, runtime: AgentCoreLocal) -> dict[str, str]:
    """The Lambda's environment: only what a deployed function would have, plus the local endpoints."""
    return {
        **{k: v for k, v in aws.env().items() if k != "AWS_ENDPOINT_URL"},
        **runtime.env(),
        "AWS_ENDPOINT_URL_DYNAMODB": aws.endpoint_url,
        "AGENT_RUNTIME_ARN": RUNTIME_ARN,
        "JOBS_TABLE_NAME": resources.table_name,
    }


def _async_job_row(aws: EmbeddedAws, resources: Resources, base: str, runtime: AgentCoreLocal) -> Any:
    """POST /jobs, poll GET /jobs/{id} until the job ends, read its item back."""

    request = b'{"prompt": {"a": 7, "b": 2}, "delay_seconds": 1}'
    status, headers, job = _send(f"{base}/jobs", request, "POST")
    location = headers.get("Location", "")
    invoked = len(runtime.invocations)
    polls: list[str] = []
    view: dict[str, Any] = {}
    deadline = time.monotonic() + JOB_POLL_SECONDS
    while status == 202 and location and time.monotonic() < deadline:
        got, _, view = _send(f"{base}{location}", None, "GET")
        if not polls or polls[-1] != f"{got} {view.get('status')}":
            polls.append(f"{got} {view.get('status')}")
        if got != 200 or view.get("status") in ("SUCCEEDED", "FAILED"):
            break
        time.sleep(0.2)
    item: dict[str, Any] = {}
    if view.get("item_id"):
        item = dynamodb_item(aws, resources.table_name, view["item_id"])
    ok = (
        status == 202
        and location == f"/jobs/{job.get('job_id')}"
        and view.get("status") == "SUCCEEDED"
        and view.get("result") == 9
        and item.get("result") == "9"
        # Polling read DynamoDB only; the runtime was invoked once, by the POST.
        and len(runtime.invocations) == invoked
    )
    shown = f"curl -X POST {base}/jobs -d '{request.decode()}'; curl {base}{location or '/jobs/<id>'}"
    response = f"{status} {job.get('status')} Location: {location}; GET: {' -> '.join(polls)}"
    return Row(STEP, shown, response, f"DynamoDB: {item}", ok)


def run_step5_demo(aws: EmbeddedAws, resources: Resources, plane: AgentCoreLocal | None = None) -> list[Row]:
    """Run step 5 end to end on the given embedded AWS (and data plane, else its own) and return the rows."""

    rows: list[Row] = []
    with ExitStack() as stack:
        if plane is None:
            plane = stack.enter_context(AgentCoreLocal())
        runtime = plane
        runtime.add_runtime(step4_runtime(aws, resources))
        front = stack.enter_context(ApiGatewayProcess(env=lambda_environment(aws, resources, runtime)))
        url = f"{front.url}/calculate"
        print(f"  {STEP}: local API Gateway at {front.url}, AgentCore data plane at {runtime.endpoint_url}")

        request = b'{"prompt": {"a": 5, "b": 5}}'
        status, body = _post(url, request)
        data = body.get("data") or {}
        item: dict[str, Any] = {}
        if status == 200 and data.get("item_id"):
            item = dynamodb_item(aws, resources.table_name, data["item_id"])
        ok = (
            status == 200
            and body.get("success") is True
            and bool(body.get("request_id"))
            and data.get("result") == 10
            and item.get("result") == "10"
        )
        shown = f"curl -X POST {url} -H 'Content-Type: application/json' -d '{request.decode()}'"
        rows.append(Row(STEP, shown, f"{status} {json.dumps(body)}", f"DynamoDB: {item}", ok))

        calls_before = len(runtime.invocations)
        bad = b'{"prompt": {"a": "5", "b": 5}}'
        status, body = _post(url, bad)
        error = body.get("error", {})
        ok = status == 400 and error.get("field") == "prompt.a" and len(runtime.invocations) == calls_before
        rows.append(
            Row(STEP, f"curl -X POST {url} -d '{bad.decode()}'", f"{status} {error.get('code')}",
                "(runtime not invoked, nothing written)", ok)
        )  # fmt: skip

        rows.append(_async_job_row(aws, resources, front.url, runtime))
    return rows


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def serve(port: int) -> None:
    """Keep the local data plane (step 4 sessions) and the local API Gateway up until interrupted."""
    # SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so the child processes are stopped too.
    signal.signal(signal.SIGTERM, _interrupt)
    with EmbeddedAws() as aws:
        resources = aws.create_resources()
        with (
            AgentCoreLocal([step4_runtime(aws, resources)], aws_endpoint=aws.endpoint_url) as runtime,
            ApiGatewayProcess(env=lambda_environment(aws, resources, runtime), port=port) as front,
        ):
            print(f"embedded AWS (moto) at {aws.endpoint_url}; table {resources.table_name}")
            print(f"AgentCore data plane at {runtime.endpoint_url}")
            print(f"curl -X POST {front.url}/calculate -H 'Content-Type: application/json' \\")
            print('     -d \'{"prompt": {"a": 5, "b": 5}}\'')
            print(f"curl -i -X POST {front.url}/jobs -H 'Content-Type: application/json' \\")
            print('     -d \'{"prompt": {"a": 7, "b": 2}, "delay_seconds": 10}\'')
            print(f"curl {front.url}/jobs/<job_id>      # the Location header of the POST, under the stage")
            print(f"python -m devtools.agentcore_local sessions --endpoint {runtime.endpoint_url}")
            print("Ctrl-C stops everything.", flush=True)
            try:
                while front.process is not None and front.process.poll() is None:
                    time.sleep(0.5)
            except KeyboardInterrupt:
                pass


def main(argv: list[str] | None = None) -> int:
    """Run the step 5 demo once (exit code 1 on a mismatch), or serve the stack with --serve."""
    parser = argparse.ArgumentParser(description="step 5 on a local stack")
    parser.add_argument("--serve", action="store_true", help="keep the local stack up for curl")
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.port)
        return 0
    with EmbeddedAws() as aws:
        rows = run_step5_demo(aws, aws.create_resources())
    for row in rows:
        print(f"[{'PASS' if row.ok else 'FAIL'}] {row.step}\n  request : {row.request}")
        print(f"  response: {row.response}\n  landed  : {row.landed}")
    return 0 if all(row.ok for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
