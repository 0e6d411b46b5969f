"""Step 5 in `make demo`: curl-like calls through the local API Gateway, the Lambda proxy, the local
AgentCore data plane (local_cloud.agentcore: one step 4 process per session) and step 4, then the
DynamoDB item read back from the embedded AWS; one async job (POST /jobs, GET /jobs/{id} until it ends,
its item read back, its session ended); and one cancelled (DELETE /jobs/{id}).

`serve-local 5_api_gateway_proxy` keeps the same local stack up for your own curl calls.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from contextlib import ExitStack
from typing import Any

from local_cloud import http
from local_cloud.agentcore import AgentCoreLocal
from local_cloud.aws import EmbeddedAws, dynamodb_item

from ..worlds import STEP4_RUNTIME_ARN, Resources, lambda_environment, step4_runtime, step5_front
from .rows import Row

STEP = "5_api_gateway_proxy"

# How long the demo polls a job before calling it a failure.
JOB_POLL_SECONDS = 30.0


def _send(url: str, body: bytes | None, method: str) -> tuple[int, Mapping[str, str], dict[str, Any]]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    status, got, answer = http.call(url, body, headers, method=method)
    return status, got, answer or {}


def _post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    status, _, answer = _send(url, body, "POST")
    return status, answer


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
        return runtime.wait_ended(STEP4_RUNTIME_ARN, record["session_id"], timeout)
    except TimeoutError:
        return runtime.session(STEP4_RUNTIME_ARN, record["session_id"]) or {}


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
        front = stack.enter_context(step5_front(lambda_environment(aws, resources, runtime)))
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
