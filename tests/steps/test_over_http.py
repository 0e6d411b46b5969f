"""End to end: each step served by uvicorn on a loopback port, writing to moto's server over HTTP."""

import json
import uuid
from collections.abc import Iterator

import pytest

from commands.demo import main as demo
from commands.worlds import Resources, create_sinks
from harness.records import landed
from harness.step_server import StepServer
from local_cloud.aws import EmbeddedAws
from tests.helpers import ALL_STEPS, REQUEST_ID_HEADER, SESSION_HEADER

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def e2e_resources(moto_server: EmbeddedAws) -> Resources:
    return create_sinks(moto_server, f"e2e{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module")
def servers(moto_server: EmbeddedAws, e2e_resources: Resources) -> Iterator[dict[str, StepServer]]:
    env = {**moto_server.env(), **e2e_resources.env()}
    started = {step: StepServer(step, env).start() for step in ALL_STEPS}
    yield started
    for server in started.values():
        server.stop()


@pytest.mark.parametrize(
    ("step", "payload", "expected"),
    [
        ("1_compute_without_model", {"prompt": {"a": 1, "b": 2}}, {"result": 3}),
        ("2_sqs_sink", {"prompt": {"a": 5, "b": 3}}, {"result": 8, "message_sent": True}),
        ("3_s3_sink", {"prompt": {"a": 1, "b": 2}}, {"result": 3, "s3_stored": True}),
        ("4_dynamodb_sink", {"prompt": {"a": 4, "b": 5}}, {"result": 9, "dynamodb_stored": True}),
    ],
)
def test_seed_payload_lands(step, payload, expected, servers, moto_server, e2e_resources) -> None:
    server = servers[step]
    assert server.ping()["status"] == "Healthy"
    rid = str(uuid.uuid4())
    session = f"e2e-session-{uuid.uuid4()}"
    status, body = server.invoke(payload, headers={REQUEST_ID_HEADER: rid, SESSION_HEADER: session})
    assert status == 200
    assert expected.items() <= body.items()
    records = landed(moto_server, e2e_resources, step)
    if step == "2_sqs_sink":
        assert [json.loads(b)["request_id"] for b in records] == [rid]
        assert json.loads(records[0])["session_id"] == session
    elif step == "3_s3_sink":
        assert body["s3_key"] in records and body["request_id"] == rid
        obj = moto_server.client("s3").get_object(Bucket=e2e_resources.bucket, Key=body["s3_key"])
        assert json.loads(obj["Body"].read())["result"] == 3
    elif step == "4_dynamodb_sink":
        assert body["item_id"] == rid
        assert [i["result"]["N"] for i in records if i["id"]["S"] == rid] == ["9"]


@pytest.mark.parametrize("step", ALL_STEPS)
def test_bad_input_over_http(step, servers) -> None:
    status, body = servers[step].invoke(b'{"prompt": {"a": true, "b": 1}}')
    assert status == 400
    assert body["error"]["code"] == "InvalidInput" and body["error"]["field"] == "prompt.a"


@pytest.mark.heavy  # `make demo` is this very run, and CI runs it after make test (.ci/run)
def test_make_demo_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main() == 0
    out = capsys.readouterr().out
    assert "0 failed" in out and "[FAIL]" not in out


def test_async_job_over_http_keeps_the_session_busy_until_done(servers, moto_server, e2e_resources) -> None:
    import time

    server = servers["4_dynamodb_sink"]
    status, job = server.invoke({"prompt": {"a": 7, "b": 2}, "mode": "async", "delay_seconds": 1})
    assert status == 202 and job["status"] == "PENDING"
    assert server.ping()["status"] == "HealthyBusy"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status, view = server.invoke({"job_status": job["job_id"]})
        assert status == 200
        if view["status"] in ("SUCCEEDED", "FAILED"):
            break
        time.sleep(0.1)
    assert view["status"] == "SUCCEEDED" and view["result"] == 9
    # The background task is completed right after the final state is written.
    for _ in range(40):
        if server.ping()["status"] == "Healthy":
            break
        time.sleep(0.05)
    assert server.ping()["status"] == "Healthy"
    item = moto_server.client("dynamodb").get_item(
        TableName=e2e_resources.table_name, Key={"id": {"S": view["item_id"]}}
    )
    assert item["Item"]["result"] == {"N": "9"}
