"""Async jobs end to end over loopback: the local API Gateway (proxy in its own process), the local AgentCore
data plane, the step 4 agent under uvicorn, moto's DynamoDB. Jobs are submitted with POST /jobs and polled
with GET /jobs/{id}, which reads DynamoDB and never invokes the runtime."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from commands.worlds import Resources, lambda_environment, step5_front
from local_cloud.agentcore import AgentCoreLocal
from local_cloud.apigw import ApiGatewayProcess
from local_cloud.aws import EmbeddedAws, dynamodb_item
from local_cloud.http import call
from tests.steps.step5.support import STEP4_ARN

pytestmark = pytest.mark.e2e

POLL_TIMEOUT = 20.0


@pytest.fixture(scope="module")
def jobs_front(aws: EmbeddedAws, sinks: Resources, data_plane: AgentCoreLocal) -> Iterator[ApiGatewayProcess]:
    """The proxy as a Lambda-like process: a function's environment plus local endpoints."""
    with step5_front(lambda_environment(aws, sinks, data_plane)) as front:
        yield front


def poll(front: ApiGatewayProcess, location: str, timeout: float = POLL_TIMEOUT) -> list[dict[str, Any]]:
    """GET the job until it ends; return every view seen (bounded in time)."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, _, body = call(f"{front.url}{location}", method="GET")
        assert status == 200, body
        seen.append(body)
        if body["status"] in ("SUCCEEDED", "FAILED"):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"{location} did not finish in {timeout} s; last seen {seen[-1:]}")


def item(aws: EmbeddedAws, sinks: Resources, key: str) -> dict[str, Any]:
    return dynamodb_item(aws, sinks.table_name, key)


def test_job_submitted_polled_and_its_item_written(
    jobs_front: ApiGatewayProcess,
    data_plane: AgentCoreLocal,
    aws: EmbeddedAws,
    sinks: Resources,
) -> None:
    status, headers, job = call(f"{jobs_front.url}/jobs", {"prompt": {"a": 7, "b": 2}, "delay_seconds": 1})

    assert status == 202
    assert job["status"] == "PENDING" and job["input"] == {"a": 7, "b": 2}
    assert headers["Location"] == f"/jobs/{job['job_id']}"
    # The job's runtime session is its own and internal: stored with the job, never handed out.
    assert "X-Session-Id" not in headers
    session = item(aws, sinks, f"job#{job['job_id']}")["session_id"]
    assert session.startswith("apigw-job-")
    # The job's session is busy (HealthyBusy keeps its microVM) while the work runs.
    assert data_plane.ping(STEP4_ARN, session)["status"] == "HealthyBusy"
    [invocation] = [i for i in data_plane.invocations if i.session_id == session]
    assert invocation.runtime_arn == STEP4_ARN
    invoked = len(data_plane.invocations)

    seen = poll(jobs_front, headers["Location"])

    done = seen[-1]
    assert done["status"] == "SUCCEEDED", done
    assert done["result"] == 9 and done["job_id"] == job["job_id"]
    assert {view["status"] for view in seen} <= {"PENDING", "RUNNING", "SUCCEEDED"}
    assert "RUNNING" in {view["status"] for view in seen}, "the 1 s delay is visible while polling"
    # Polling reads DynamoDB only: not one more runtime invocation.
    assert len(data_plane.invocations) == invoked
    result = item(aws, sinks, done["item_id"])
    assert (result["input_a"], result["input_b"], result["result"]) == ("7", "2", "9")
    record = item(aws, sinks, f"job#{job['job_id']}")
    assert (record["status"], record["session_id"]) == ("SUCCEEDED", session)
    # Its work done, the job ended its own session (StopRuntimeSession), billed no idle time after.
    ended = data_plane.wait_ended(STEP4_ARN, session, timeout=10)
    assert ended["ended_reason"] == "stopped" and ended["usage"]["session_seconds"] > 0


def test_same_idempotency_key_gives_the_same_job_and_one_item(
    jobs_front: ApiGatewayProcess, data_plane: AgentCoreLocal, aws: EmbeddedAws, sinks: Resources
) -> None:
    body = {"prompt": {"a": 40, "b": 2}, "idempotency_key": f"order-{uuid.uuid4()}"}

    first = call(f"{jobs_front.url}/jobs", body)
    second = call(f"{jobs_front.url}/jobs", body)

    assert (first[0], second[0]) == (202, 200)
    assert first[2]["job_id"] == second[2]["job_id"]
    assert first[1]["Location"] == second[1]["Location"]
    done = poll(jobs_front, first[1]["Location"])[-1]
    assert done["status"] == "SUCCEEDED" and done["result"] == 42
    assert done["idempotency_key"] == body["idempotency_key"]
    scanned = aws.client("dynamodb").scan(
        TableName=sinks.table_name,
        ConsistentRead=True,
        FilterExpression="request_id = :r",
        ExpressionAttributeValues={":r": {"S": done["job_id"]}},
    )["Items"]
    assert [i["id"]["S"] for i in scanned] == [done["item_id"]], "exactly one result item for the job"


def test_location_resolves_under_the_stage(jobs_front: ApiGatewayProcess) -> None:
    status, headers, job = call(f"{jobs_front.url}/jobs", {"prompt": {"a": 1, "b": 1}})

    got, _, view = call(f"{jobs_front.url}{headers['Location']}", method="GET")

    assert status == 202
    assert got == 200 and view["job_id"] == job["job_id"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        # A fixed id no job has (a random one would give the test a new name at every collection).
        ("/jobs/00000000-0000-4000-8000-000000000000", 404, "NotFound"),
        ("/jobs/has%20space", 400, "InvalidInput"),
        ("/jobs/job%23abc", 400, "InvalidInput"),
        ("/jobs/" + "x" * 129, 400, "InvalidInput"),
    ],
)
def test_unknown_and_malformed_ids_never_reach_the_runtime(
    jobs_front: ApiGatewayProcess, data_plane: AgentCoreLocal, path: str, status: int, code: str
) -> None:
    before = len(data_plane.invocations)

    got, headers, body = call(f"{jobs_front.url}{path}", method="GET")

    assert got == status
    assert body["error"]["code"] == code
    assert body["error"]["field"] == "path.id"
    assert body["error"]["request_id"] == headers["X-Request-Id"]
    assert len(data_plane.invocations) == before


def test_bad_job_request_is_refused_before_the_runtime(
    jobs_front: ApiGatewayProcess, data_plane: AgentCoreLocal
) -> None:
    before = len(data_plane.invocations)

    got, _, body = call(f"{jobs_front.url}/jobs", {"prompt": {"a": 1, "b": 2}, "delay_seconds": -5})

    assert got == 400 and body["error"]["field"] == "delay_seconds"
    assert len(data_plane.invocations) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/jobs/abc"),
        ("GET", "/jobs"),
        ("POST", "/jobs/abc"),
        ("GET", "/jobs/a/b"),
        ("DELETE", "/jobs"),
    ],
)
def test_undeclared_methods_and_paths_are_answered_by_api_gateway(
    jobs_front: ApiGatewayProcess, method: str, path: str
) -> None:
    body = {"prompt": {"a": 1, "b": 2}} if method == "POST" else None

    status, _, answer = call(f"{jobs_front.url}{path}", body, method=method)

    assert status == 403
    assert answer == {"message": "Missing Authentication Token"}


def test_preflight_for_a_job_allows_get_and_delete(jobs_front: ApiGatewayProcess) -> None:
    status, headers, _ = call(f"{jobs_front.url}/jobs/abc", method="OPTIONS")

    assert status == 200
    assert headers["Access-Control-Allow-Methods"] == "DELETE,GET,OPTIONS"
