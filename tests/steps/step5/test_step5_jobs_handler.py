"""POST /jobs and GET /jobs/{id} in the Lambda proxy: the runtime call stubbed (botocore's Stubber), job
reads against moto's DynamoDB over HTTP with records written by the runtime's own JobStore."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from commands.worlds import Resources
from harness.faults import inject_aws_error
from local_cloud.aws import EmbeddedAws
from local_cloud.loopback import free_port
from shared.apigw.settings import JOBS_TABLE_NAME
from shared.jobs.model import SUCCEEDED, NewJob, job_from_item, job_view, new_job_id
from shared.jobs.store import JobStore
from tests.steps.step5.support import STEP4_ARN, FakeContext, event, headers_of, lambda_proxy, with_header

pytestmark = pytest.mark.usefixtures("lambda_env")

REQUEST_ID = "c0ffee00-1111-4222-8333-444455556666"


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response["body"] else None


def post_jobs(body: Any, **changes: Any) -> dict[str, Any]:
    raw = body if isinstance(body, str) else json.dumps(body)
    return event(resource="/jobs", path="/jobs", body=raw, **changes)


def get_job_event(job_id: str | None) -> dict[str, Any]:
    params = None if job_id is None else {"id": job_id}
    path = f"/jobs/{job_id}" if job_id is not None else "/jobs/"
    return event(httpMethod="GET", resource="/jobs/{id}", path=path, pathParameters=params, body=None)


def runtime_answer(job: dict[str, Any], status: int = 202) -> dict[str, Any]:
    data = json.dumps(job).encode()
    return {
        "response": StreamingBody(io.BytesIO(data), len(data)),
        "contentType": "application/json",
        "statusCode": status,
        "runtimeSessionId": "s" * 40,
    }


def pending_view(job_id: str = "5b1c7a3e-0000-4000-8000-000000000001", **extra: Any) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "status": "PENDING",
        "input": {"a": 7, "b": 2},
        "created_at": "2026-01-01T00:00:00.000000Z",
        "updated_at": "2026-01-01T00:00:00.000000Z",
        "delay_seconds": 0,
        **extra,
    }


@pytest.fixture
def sent() -> list[dict[str, Any]]:
    """The parameters of every InvokeAgentRuntime call, as the handler passed them."""
    calls: list[dict[str, Any]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        calls.append(dict(params))

    lambda_proxy.runtime_client().meta.events.register(
        "provide-client-params.bedrock-agentcore.InvokeAgentRuntime", capture
    )
    return calls


def expect_stop(stubber: Stubber, session: Any = ANY) -> None:
    """The proxy ends the session it opened (StopRuntimeSession): the next call the stub expects."""
    stubber.add_response(
        "stop_runtime_session",
        {"runtimeSessionId": "s" * 40, "statusCode": 200},
        {"agentRuntimeArn": STEP4_ARN, "qualifier": "DEFAULT", "runtimeSessionId": session},
    )


def expect_invoke(stubber: Stubber, response: dict[str, Any], payload: Any = ANY) -> None:
    stubber.add_response(
        "invoke_agent_runtime",
        response,
        {
            "agentRuntimeArn": STEP4_ARN,
            "qualifier": "DEFAULT",
            "runtimeSessionId": ANY,
            "contentType": "application/json",
            "accept": "application/json, text/event-stream",
            "payload": payload,
        },
    )


# POST /jobs


def test_new_job_is_202_with_location_and_the_runtime_view(
    stubber: Stubber, sent: list[dict[str, Any]]
) -> None:
    view = pending_view(delay_seconds=1, idempotency_key="order-17")
    payload = b'{"prompt":{"a":7,"b":2},"delay_seconds":1,"idempotency_key":"order-17","mode":"async"}'
    expect_invoke(stubber, runtime_answer(view, 202), payload=payload)

    # From a browser (Origin set), so the CORS headers say which response headers its script may read.
    request = post_jobs({"prompt": {"a": 7, "b": 2}, "delay_seconds": 1, "idempotency_key": "order-17"})
    response = lambda_proxy.handler(with_header(request, "Origin", "https://app.example.com"), FakeContext())

    assert response["statusCode"] == 202
    assert body_of(response) == view
    assert headers_of(response)["Location"] == f"/jobs/{view['job_id']}"
    assert "Location" in headers_of(response)["Access-Control-Expose-Headers"]
    assert headers_of(response)["X-Request-Id"] == REQUEST_ID
    # The job's session is runtime-internal: not handed to the caller, and not stopped (its work runs
    # there; the stub would refuse a StopRuntimeSession it was not told to expect).
    assert "X-Session-Id" not in headers_of(response)
    [call] = sent
    assert call["runtimeSessionId"].startswith(lambda_proxy.JOB_SESSION_PREFIX)


def test_each_job_gets_a_fresh_valid_session_and_callers_session_is_not_used(
    stubber: Stubber, sent: list[dict[str, Any]]
) -> None:
    callers = "my-conversation-0123456789abcdef0123456789"
    for n in range(3):
        expect_invoke(stubber, runtime_answer(pending_view(f"job-{n}"), 202))

    statuses = [
        lambda_proxy.handler(
            with_header(post_jobs({"prompt": {"a": 7, "b": 2}}), "X-Session-Id", callers), FakeContext()
        )["statusCode"]
        for _ in range(3)
    ]

    sessions = [call["runtimeSessionId"] for call in sent]
    assert statuses == [202, 202, 202]
    assert len(set(sessions)) == 3
    for session in sessions:
        assert session != callers
        assert session.startswith(lambda_proxy.JOB_SESSION_PREFIX)
        assert 33 <= len(session) <= 256
        assert lambda_proxy.SESSION_ID_RE.fullmatch(session)


def test_repeated_idempotency_key_passes_the_existing_job_through_as_200(stubber: Stubber) -> None:
    existing = pending_view(status="RUNNING", idempotency_key="order-17", started_at="2026-01-01T00:00:01Z")
    expect_invoke(stubber, runtime_answer(existing, 200))
    # No work started in this request's fresh session: the proxy ends it.
    expect_stop(stubber)

    response = lambda_proxy.handler(
        post_jobs({"prompt": {"a": 7, "b": 2}, "idempotency_key": "order-17"}), FakeContext()
    )

    assert response["statusCode"] == 200
    assert body_of(response) == existing
    assert headers_of(response)["Location"] == f"/jobs/{existing['job_id']}"


def test_without_a_key_the_api_request_id_makes_runtime_retries_idempotent(
    stubber: Stubber, sent: list[dict[str, Any]]
) -> None:
    expect_invoke(stubber, runtime_answer(pending_view(), 202))

    response = lambda_proxy.handler(post_jobs({"prompt": {"a": 7, "b": 2}, "mode": "async"}), FakeContext())

    assert response["statusCode"] == 202
    forwarded = json.loads(sent[0]["payload"])
    assert forwarded == {
        "prompt": {"a": 7, "b": 2},
        "mode": "async",
        "idempotency_key": f"apigw-request:{REQUEST_ID}",
    }


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"prompt": {"a": "7", "b": 2}}, 400, "prompt.a"),
        ({"prompt": {"a": 7}}, 400, "prompt.b"),
        ({"a": 7, "b": 2}, 400, "prompt"),
        ({"prompt": {"a": 7, "b": 2}, "mode": "sync"}, 400, "mode"),
        ({"prompt": {"a": 7, "b": 2}, "mode": "later"}, 400, "mode"),
        ({"prompt": {"a": 7, "b": 2}, "delay_seconds": -1}, 400, "delay_seconds"),
        ({"prompt": {"a": 7, "b": 2}, "delay_seconds": 28_801}, 400, "delay_seconds"),
        ({"prompt": {"a": 7, "b": 2}, "delay_seconds": 1.5}, 400, "delay_seconds"),
        ({"prompt": {"a": 7, "b": 2}, "delay_seconds": True}, 400, "delay_seconds"),
        ({"prompt": {"a": 7, "b": 2}, "idempotency_key": ""}, 400, "idempotency_key"),
        ({"prompt": {"a": 7, "b": 2}, "idempotency_key": "x" * 257}, 400, "idempotency_key"),
        ({"prompt": {"a": 7, "b": 2}, "idempotency_key": "tab\there"}, 400, "idempotency_key"),
        ({"prompt": {"a": 7, "b": 2}, "idempotency_key": 17}, 400, "idempotency_key"),
        # The runtime would read this as a status query: refused, never forwarded.
        ({"prompt": {"a": 7, "b": 2}, "job_status": "abc"}, 400, "job_status"),
        ("[1, 2]", 400, "$"),
        ("{not json", 400, "$"),
    ],
)
def test_bad_job_requests_never_reach_the_runtime(
    stubber: Stubber, body: Any, status: int, field: str
) -> None:
    response = lambda_proxy.handler(post_jobs(body), FakeContext())

    assert response["statusCode"] == status
    error = body_of(response)["error"]
    assert (error["code"], error["field"], error["request_id"]) == ("InvalidInput", field, REQUEST_ID)
    assert "Location" not in headers_of(response)


def test_non_json_content_type_is_415_without_a_call(stubber: Stubber) -> None:
    response = lambda_proxy.handler(
        with_header(post_jobs({"prompt": {"a": 7, "b": 2}}), "Content-Type", "text/plain"), FakeContext()
    )

    assert response["statusCode"] == 415


@pytest.mark.parametrize(
    "answer",
    [{"result": 9, "dynamodb_stored": True}, {"job_id": "has spaces", "status": "PENDING"}, [1, 2], None],
)
def test_a_runtime_that_does_not_answer_with_a_job_is_a_bad_gateway(stubber: Stubber, answer: Any) -> None:
    # e.g. AGENT_RUNTIME_ARN points at a step 1-3 runtime, which ignores "mode".
    data = b"" if answer is None else json.dumps(answer).encode()
    expect_invoke(
        stubber,
        {
            "response": StreamingBody(io.BytesIO(data), len(data)),
            "contentType": "application/json",
            "statusCode": 200,
            "runtimeSessionId": "s" * 40,
        },
    )
    if not (isinstance(answer, dict) and answer.get("status") == "PENDING"):
        expect_stop(stubber)

    response = lambda_proxy.handler(post_jobs({"prompt": {"a": 7, "b": 2}}), FakeContext())

    assert response["statusCode"] == 502
    assert body_of(response)["error"]["code"] == "AgentResponseInvalid"
    assert "Location" not in headers_of(response)


def test_agent_4xx_on_submit_is_passed_through(stubber: Stubber) -> None:
    agent = {
        "error": {"code": "InvalidInput", "message": "delay_seconds is too large", "field": "delay_seconds"}
    }
    expect_invoke(stubber, runtime_answer(agent, 400))
    expect_stop(stubber)

    response = lambda_proxy.handler(post_jobs({"prompt": {"a": 7, "b": 2}}), FakeContext())

    assert response["statusCode"] == 400
    assert body_of(response)["error"]["field"] == "delay_seconds"


def test_runtime_throttling_on_submit_is_429(stubber: Stubber) -> None:
    stubber.add_client_error(
        "invoke_agent_runtime", service_error_code="ThrottlingException", http_status_code=429
    )

    response = lambda_proxy.handler(post_jobs({"prompt": {"a": 7, "b": 2}}), FakeContext())

    assert response["statusCode"] == 429
    assert body_of(response)["error"]["code"] == "Throttled"


# GET /jobs/{id}


@pytest.fixture
def table(aws: EmbeddedAws, sinks: Resources, monkeypatch: pytest.MonkeyPatch, lambda_env: None) -> str:
    """JOBS_TABLE_NAME and a DynamoDB endpoint for the proxy's job reads: the session's moto table."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", aws.endpoint_url)
    monkeypatch.setenv(JOBS_TABLE_NAME, sinks.table_name)
    # Only the DynamoDB client is rebuilt: a stubbed runtime client stays in place.
    lambda_proxy.jobs_client.cache_clear()
    return sinks.table_name


@pytest.fixture
def store(aws: EmbeddedAws, table: str) -> JobStore:
    """The runtime's own job store on the same table (what step 4 writes)."""
    return JobStore(aws.client("dynamodb"), table, ttl_days=1)


def new_job(
    store: JobStore, key: str | None = None, caller: str | None = None, session: str = "s" * 40
) -> tuple[str, dict[str, Any]]:
    job_id = new_job_id()
    stored, created = store.submit(
        NewJob(job_id=job_id, a=7, b=2, request_id=str(uuid.uuid4()), session_id=session,
               idempotency_key=key, delay_seconds=0, caller=caller)
    )  # fmt: skip
    assert created
    return job_id, stored


def test_get_reads_the_record_from_dynamodb_without_calling_the_runtime(
    stubber: Stubber, store: JobStore
) -> None:
    job_id, stored = new_job(store, key=f"k-{uuid.uuid4()}")

    response = lambda_proxy.handler(get_job_event(job_id), FakeContext())

    assert response["statusCode"] == 200
    assert body_of(response) == json.loads(json.dumps(job_view(stored)))
    assert body_of(response)["status"] == "PENDING"
    assert "Location" not in headers_of(response)


def test_get_shows_the_result_of_a_finished_job(stubber: Stubber, store: JobStore) -> None:
    job_id, stored = new_job(store)
    job = job_from_item(stored)
    assert store.start(job)
    assert store.finish(job, SUCCEEDED, result=9, result_item_id=job_id)

    response = lambda_proxy.handler(get_job_event(job_id), FakeContext())

    body = body_of(response)
    assert response["statusCode"] == 200
    assert (body["status"], body["result"], body["item_id"]) == ("SUCCEEDED", 9, job_id)
    assert body["finished_at"] >= body["started_at"] >= body["created_at"]


def test_unknown_job_is_404_with_the_shared_envelope(stubber: Stubber, table: str) -> None:
    unknown = str(uuid.uuid4())

    response = lambda_proxy.handler(get_job_event(unknown), FakeContext())

    assert response["statusCode"] == 404
    error = body_of(response)["error"]
    assert (error["code"], error["field"], error["job_id"], error["request_id"]) == (
        "NotFound", "path.id", unknown, REQUEST_ID,
    )  # fmt: skip


def test_a_result_item_is_not_readable_as_a_job(stubber: Stubber, store: JobStore, aws: EmbeddedAws) -> None:
    # Result items share the table under their own ids; GET /jobs/{id} only ever reads "job#<id>".
    item_id = str(uuid.uuid4())
    aws.client("dynamodb").put_item(TableName=store._table, Item={"id": {"S": item_id}, "result": {"N": "9"}})

    response = lambda_proxy.handler(get_job_event(item_id), FakeContext())

    assert response["statusCode"] == 404


@pytest.mark.parametrize(("where", "stopped"), [("here", False), ("elsewhere", True), ("unknown", False)])
def test_a_pending_job_answered_with_200_is_looked_up_before_its_session_is_ended(
    stubber: Stubber, store: JobStore, monkeypatch: pytest.MonkeyPatch, where: str, stopped: bool
) -> None:
    # A 200 with a PENDING job: another submission's job of a moment ago, or this one's if the service does
    # not relay the container's 202 (undocumented). The record's session decides; the stub refuses a stop
    # it was not told to expect, and insists on one it was.
    session = "apigw-job-" + "h" * 36
    monkeypatch.setattr(lambda_proxy, "fresh_session_id", lambda prefix: session)
    _, stored = new_job(store, session=session if where == "here" else "apigw-job-" + "e" * 36)
    answered = job_view(stored) if where != "unknown" else pending_view(new_job_id())
    expect_invoke(stubber, runtime_answer(json.loads(json.dumps(answered)), 200))
    if stopped:
        expect_stop(stubber, session)

    response = lambda_proxy.handler(post_jobs({"prompt": {"a": 7, "b": 2}}), FakeContext())

    assert response["statusCode"] == 200
    assert body_of(response)["status"] == "PENDING"


@pytest.mark.parametrize("job_id", ["has space", "x" * 129, "job#abc", "a/b", "é" * 3, "", None])
def test_malformed_job_ids_are_400_without_any_call(stubber: Stubber, table: str, job_id: str | None) -> None:
    response = lambda_proxy.handler(get_job_event(job_id), FakeContext())

    assert response["statusCode"] == 400
    error = body_of(response)["error"]
    assert (error["code"], error["field"]) == ("InvalidInput", "path.id")
    assert "job_status" not in error.get("expected", "")


def test_missing_table_setting_is_named(
    stubber: Stubber, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(JOBS_TABLE_NAME)

    response = lambda_proxy.handler(get_job_event("abc"), FakeContext())

    assert response["statusCode"] == 500
    error = body_of(response)["error"]
    assert (error["code"], error["variable"]) == ("ConfigurationError", "JOBS_TABLE_NAME")


def test_missing_table_is_a_configuration_error_not_a_404(
    stubber: Stubber, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(JOBS_TABLE_NAME, f"no-such-table-{uuid.uuid4().hex[:8]}")

    response = lambda_proxy.handler(get_job_event("abc"), FakeContext())

    assert response["statusCode"] == 500
    assert body_of(response)["error"]["code"] == "JobStoreMisconfigured"


def test_incomplete_record_is_a_bad_gateway(stubber: Stubber, store: JobStore, aws: EmbeddedAws) -> None:
    aws.client("dynamodb").put_item(
        TableName=store._table, Item={"id": {"S": "job#broken"}, "status": {"S": "PENDING"}}
    )

    response = lambda_proxy.handler(get_job_event("broken"), FakeContext())

    assert response["statusCode"] == 502
    assert body_of(response)["error"]["code"] == "JobRecordInvalid"


def test_throttled_reads_are_retried_then_503(stubber: Stubber, table: str) -> None:
    throttled = inject_aws_error(
        lambda_proxy.jobs_client(), "GetItem", 400, "ProvisionedThroughputExceededException"
    )

    response = lambda_proxy.handler(get_job_event("abc"), FakeContext())

    assert response["statusCode"] == 503
    assert headers_of(response)["Retry-After"] == "1"
    assert body_of(response)["error"]["code"] == "JobStoreThrottled"
    assert throttled.attempts == 3


def test_unreachable_table_is_503(stubber: Stubber, table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{free_port()}")
    lambda_proxy.jobs_client.cache_clear()

    response = lambda_proxy.handler(get_job_event("abc"), FakeContext())

    assert response["statusCode"] == 503
    assert body_of(response)["error"]["code"] == "JobStoreUnavailable"


def test_jobs_client_is_built_once_with_an_explicit_config(table: str) -> None:
    client = lambda_proxy.jobs_client()
    config = client.meta.config

    assert client is lambda_proxy.jobs_client()
    assert (config.connect_timeout, config.read_timeout) == (2, 5)
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    # Worst case (3 attempts of connect + read) stays under the function's 28 s timeout.
    assert 3 * (config.connect_timeout + config.read_timeout) < 28


@pytest.mark.parametrize("params", [None, {}, {"id": ""}])
def test_post_to_a_job_without_its_id_is_405_not_a_new_job(stubber: Stubber, params: Any) -> None:
    # API Gateway matched /jobs/{id} (GET, DELETE): an empty id must not make the path read as POST /jobs.
    evt = event(resource="/jobs/{id}", path="/jobs/", pathParameters=params)

    response = lambda_proxy.handler(evt, FakeContext())

    assert response["statusCode"] == 405
    assert body_of(response)["error"]["code"] == "MethodNotAllowed"
    assert headers_of(response)["Allow"] == "DELETE, GET"
