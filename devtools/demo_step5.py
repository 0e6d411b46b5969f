"""Step 5 in `make demo`: curl-like calls through the local API Gateway, the Lambda proxy, the local
AgentCore data plane (devtools.agentcore_local: one step 4 process per session) and step 4, then the
DynamoDB item read back from the embedded AWS; one async job (POST /jobs, GET /jobs/{id} until it ends,
its item read back, its session ended); and one cancelled (DELETE /jobs/{id}).

`python -m devtools.demo_step5 --serve` keeps the whole local stack up for your own curl calls;
`--api-key KEY` (repeatable) requires API keys, each key one caller; JOB_LEASE_SECONDS in the
environment sets step 4's job lease.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from typing import Any

from devtools import http
from devtools.agentcore_local import AgentCoreLocal, RuntimeSpec, folder_runtime, runtime_arn
from devtools.apigw import ApiGatewayProcess
from devtools.emulator import EmbeddedAws, Resources
from devtools.records import dynamodb_item
from devtools.report import Row
from shared.core.settings import (
    CALLER_IDENTITY,
    JOB_LEASE_SECONDS,
    RUNTIME_MAX_LIFETIME_SECONDS,
    SESSION_ID_SECRET,
)

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


def job_env(max_lifetime: float, lease_seconds: int | None = None) -> dict[str, str]:
    """The job settings both sides read: the runtime's maxLifetime, and (step 4) the job lease."""
    env = {RUNTIME_MAX_LIFETIME_SECONDS: str(int(max_lifetime))}
    lease = lease_seconds if lease_seconds is not None else os.environ.get(JOB_LEASE_SECONDS)
    if lease:
        env[JOB_LEASE_SECONDS] = str(lease)
    return env


def step4_runtime(
    aws: EmbeddedAws, resources: Resources, max_lifetime: float = 28_800, lease_seconds: int | None = None
) -> RuntimeSpec:
    """Step 4 as the runtime the proxy invokes, on the embedded AWS and its sinks; the lease is
    JOB_LEASE_SECONDS (the argument, else this process's environment, else step 4's default)."""
    env = {**aws.env(), **resources.env(), **job_env(max_lifetime, lease_seconds)}
    return folder_runtime(RUNTIME_NAME, "4_dynamodb_sink", env)


def lambda_environment(
    aws: EmbeddedAws,
    resources: Resources,
    runtime: AgentCoreLocal,
    caller_identity: str = "none",
    session_secret: str | None = None,
) -> dict[str, str]:
    """The Lambda's environment: only what a deployed function would have, plus the local endpoints.

    The session secret is a fresh random one unless given (the template's comes from Secrets Manager).
    """
    return {
        **{k: v for k, v in aws.env().items() if k != "AWS_ENDPOINT_URL"},
        **runtime.env(),
        "AWS_ENDPOINT_URL_DYNAMODB": aws.endpoint_url,
        "AGENT_RUNTIME_ARN": RUNTIME_ARN,
        "JOBS_TABLE_NAME": resources.table_name,
        CALLER_IDENTITY: caller_identity,
        SESSION_ID_SECRET: session_secret or secrets.token_hex(24),
        **job_env(runtime.settings.max_lifetime),
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
        if got != 200 or view.get("status") in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.2)
    item: dict[str, Any] = {}
    if view.get("item_id"):
        item = dynamodb_item(aws, resources.table_name, view["item_id"])
    ended = _job_session_ended(aws, resources, runtime, job.get("job_id"))
    ok = (
        status == 202
        and location == f"/jobs/{job.get('job_id')}"
        and view.get("status") == "SUCCEEDED"
        and view.get("result") == 9
        and item.get("result") == "9"
        # Polling read DynamoDB only; the runtime was invoked once, by the POST.
        and len(runtime.invocations) == invoked
        # The finished job ended its own session (StopRuntimeSession), rather than idle until its timeout.
        and ended.get("ended_reason") == "stopped"
    )
    shown = f"curl -X POST {base}/jobs -d '{request.decode()}'; curl {base}{location or '/jobs/<id>'}"
    response = f"{status} {job.get('status')} Location: {location}; GET: {' -> '.join(polls)}"
    landed = f"DynamoDB: {item}; job session {ended.get('ended_reason')} after {_seconds(ended)} s"
    return Row(STEP, shown, response, landed, ok)


def _job_session_ended(
    aws: EmbeddedAws, resources: Resources, runtime: AgentCoreLocal, job_id: str | None, timeout: float = 20
) -> dict[str, Any]:
    """The job's session as the data plane lists it once it has ended ({} if it did not)."""
    record = dynamodb_item(aws, resources.table_name, f"job#{job_id}") if job_id else {}
    if not record.get("session_id"):
        return {}
    try:
        return runtime.wait_ended(RUNTIME_ARN, record["session_id"], timeout)
    except TimeoutError:
        return runtime.session(RUNTIME_ARN, record["session_id"]) or {}


def _seconds(session: Mapping[str, Any]) -> Any:
    return (session.get("usage") or {}).get("session_seconds")


def _cancel_row(aws: EmbeddedAws, resources: Resources, base: str, runtime: AgentCoreLocal) -> Row:
    """POST /jobs with a long delay, DELETE /jobs/{id}: CANCELLED, no item, its session ended."""
    request = b'{"prompt": {"a": 1, "b": 1}, "delay_seconds": 600}'
    status, headers, job = _send(f"{base}/jobs", request, "POST")
    location = headers.get("Location", "/jobs/<id>")
    got, _, view = _send(f"{base}{location}", None, "DELETE")
    ended = _job_session_ended(aws, resources, runtime, job.get("job_id"))
    item = dynamodb_item(aws, resources.table_name, str(job.get("job_id")))
    ok = (
        status == 202
        and got == 200
        and view.get("status") == "CANCELLED"
        and not item
        and ended.get("ended_reason") == "stopped"
    )
    return Row(
        STEP, f"curl -X DELETE {base}{location}", f"{got} {view.get('status')}",
        f"no item; job session {ended.get('ended_reason')} after {_seconds(ended)} s", ok,
    )  # fmt: skip


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
        rows.append(_cancel_row(aws, resources, front.url, runtime))
    return rows


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def serve(port: int, api_keys: Sequence[str] = ()) -> None:
    """Keep the local data plane (step 4 sessions) and the local API Gateway up until interrupted.

    With API keys, each key is one caller (CALLER_IDENTITY=api_key); a request without one gets 403.
    """
    # SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so the child processes are stopped too.
    signal.signal(signal.SIGTERM, _interrupt)
    with EmbeddedAws() as aws:
        resources = aws.create_resources()
        with (
            AgentCoreLocal([step4_runtime(aws, resources)], aws_endpoint=aws.endpoint_url) as runtime,
            ApiGatewayProcess(
                env=lambda_environment(aws, resources, runtime, "api_key" if api_keys else "none"),
                port=port,
                api_keys=api_keys,
            ) as front,
        ):
            print(f"embedded AWS (moto) at {aws.endpoint_url}; table {resources.table_name}")
            print(f"AgentCore data plane at {runtime.endpoint_url}")
            key = f" -H 'x-api-key: {api_keys[0]}'" if api_keys else ""
            print(f"curl -X POST {front.url}/calculate{key} -H 'Content-Type: application/json' \\")
            print('     -d \'{"prompt": {"a": 5, "b": 5}}\'')
            print(f"curl -i -X POST {front.url}/jobs{key} -H 'Content-Type: application/json' \\")
            print('     -d \'{"prompt": {"a": 7, "b": 2}, "delay_seconds": 10}\'')
            print(
                f"curl{key} {front.url}/jobs/<job_id>      # the Location header of the POST, under the stage"
            )
            print(f"curl -X DELETE{key} {front.url}/jobs/<job_id>   # cancel it")
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
    parser.add_argument(
        "--api-key",
        action="append",
        default=[],
        help="with --serve: require API keys; repeat, one per caller",
    )
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.port, args.api_key)
        return 0
    with EmbeddedAws() as aws:
        rows = run_step5_demo(aws, aws.create_resources())
    for row in rows:
        print(f"[{'PASS' if row.ok else 'FAIL'}] {row.step}\n  request : {row.request}")
        print(f"  response: {row.response}\n  landed  : {row.landed}")
    return 0 if all(row.ok for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
