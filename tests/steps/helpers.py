"""Helpers of the reliability tests over the steps: load from a separate process, records read back, the
embedded AWS restarted, step 4's jobs driven through a local data plane, a step's app loaded afresh."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from commands.steps import ROOT
from commands.worlds import create_sinks
from harness.modules import load_module
from local_cloud.aws import EmbeddedAws
from shared.core.jsonnum import loads_exact
from tests.helpers import HEAVY

# The default profile runs in `make test`; RELIABILITY_PROFILE=heavy multiplies the volumes.
LOAD_COUNT = 10_000 if HEAVY else 1_000
LOAD_CONCURRENCY = 16


def load_fresh_app(step: str) -> Any:
    """<step>/agent.py imported afresh: the module-level clients of the step bind to this test's moto."""
    return load_module(ROOT / step / "agent.py", f"fuzz_agent_{step}", fresh=True).app


def step_env(aws: EmbeddedAws, step: str, fifo: bool = False) -> dict[str, str]:
    """Fresh, uniquely named resources for one step; the FIFO queue on request."""
    resources = create_sinks(aws)
    env = {**aws.env(), **resources.env()}
    if fifo:
        env["SQS_QUEUE_URL"] = resources.fifo_queue_url
    return env


def collect(port: int, requests: list[dict[str, Any]], concurrency: int, timeout: float = 240) -> Any:
    """Start harness.load in its own process (so the load shares no GIL with moto); return the Popen."""
    fd, output = tempfile.mkstemp(prefix="reliability-", suffix=".json")
    os.close(fd)
    spec = {
        "mode": "collect",
        "port": port,
        "requests": requests,
        "concurrency": concurrency,
        "timeout": 60,
        "output": output,
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.load", "-"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(spec).encode())  # the loader reads it at once
    proc.stdin.close()
    proc.stdin = None  # so communicate() only reads
    proc.output = output  # type: ignore[attr-defined]
    return proc


def results_of(proc: Any, timeout: float = 240) -> list[tuple[int, str]]:
    """Wait for a collect process and return [(status, body text)] in request order."""
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err.decode()[-3000:]
    output = Path(proc.output)
    try:
        return [(int(s), b) for s, b in json.loads(output.read_text(encoding="utf-8"))]
    finally:
        output.unlink(missing_ok=True)


def run_collect(port: int, requests: list[dict[str, Any]], concurrency: int) -> list[tuple[int, str]]:
    return results_of(collect(port, requests, concurrency))


def sum_requests(count: int, b: str = "0.5") -> list[dict[str, Any]]:
    """Request i adds i and b, so every record can be traced back to the request that made it."""
    return [{"body": f'{{"prompt": {{"a": {i}, "b": {b}}}}}'} for i in range(count)]


class SqsCollector:
    """Receives and deletes messages while a load runs (moto's SQS slows down as a queue fills)."""

    def __init__(self, aws: EmbeddedAws, queue_url: str, threads: int = 3) -> None:
        self.sqs = aws.client("sqs")
        self.queue_url = queue_url
        # By MessageId: two receivers racing inside moto may be handed the same message, which is not a
        # second message; a duplicate sent by a step has a MessageId of its own and is counted.
        self.messages: dict[str, dict[str, Any]] = {}
        self._stop = threading.Event()
        # Several receivers: moto's receive and delete scan the whole queue, so it must stay short.
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        self.errors: list[str] = []

    def __enter__(self) -> SqsCollector:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=60)

    def _receive_once(self) -> int:
        # A short visibility timeout: a receive whose answer was lost (the emulator stopped mid-call)
        # or whose delete failed comes back soon instead of hiding the message for the rest of the test.
        batch = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=5)
        messages = batch.get("Messages", [])
        for m in messages:  # kept before the delete, which may fail
            self.messages[m["MessageId"]] = loads_exact(m["Body"])
        if messages:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        return len(messages)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self._receive_once():
                    self._stop.wait(0.05)
            except Exception as exc:  # the emulator may be down on purpose (fault tests)
                self.errors.append(type(exc).__name__)
                self._stop.wait(0.2)

    def _left(self) -> int:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=names)["Attributes"]
        return sum(int(attrs[n]) for n in names)

    def drain(self, timeout: float = 60) -> list[dict[str, Any]]:
        """After the load: receive until nothing is left, in flight included; return every body."""
        self.__exit__()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._receive_once():
                continue  # more may wait: no pause while receives bring messages
            if not self._left():
                return list(self.messages.values())
            time.sleep(0.2)  # only in-flight ones left: they come back after the visibility timeout
        raise AssertionError(f"the queue still holds {self._left()} messages after {timeout} s")


def s3_records(aws: EmbeddedAws, bucket: str) -> dict[str, dict[str, Any]]:
    """Every object in the bucket, by key, parsed exactly."""
    s3 = aws.client("s3")
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            out[obj["Key"]] = loads_exact(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
    return out


def ddb_records(aws: EmbeddedAws, table: str) -> list[dict[str, Any]]:
    """Every item of the table, deserialized (numbers as Decimal)."""
    from boto3.dynamodb.types import TypeDeserializer

    deserialize = TypeDeserializer().deserialize
    ddb = aws.client("dynamodb")
    items = []
    for page in ddb.get_paginator("scan").paginate(TableName=table):
        items += [{k: deserialize(v) for k, v in item.items()} for item in page["Items"]]
    return items


def records_by_request_id(
    aws: EmbeddedAws, step: str, env: dict[str, str], sqs: SqsCollector | None = None
) -> Any:
    """Return [(request_id, record)] for everything the step wrote, duplicates included."""
    if step == "2_sqs_sink":
        assert sqs is not None
        return [(body["request_id"], body) for body in sqs.drain()]
    if step == "3_s3_sink":
        return [(rec["request_id"], rec) for rec in s3_records(aws, env["S3_BUCKET_NAME"]).values()]
    return [(item["id"], item) for item in ddb_records(aws, env["DYNAMODB_TABLE_NAME"])]


def response_request_id(step: str, body: dict[str, Any]) -> str:
    """The request id a successful response names (step 4 names it item_id)."""
    return str(body["item_id"] if step == "4_dynamodb_sink" else body["request_id"])


def record_operand_a(step: str, record: dict[str, Any]) -> Any:
    return record["input_a"] if step == "4_dynamodb_sink" else record["input"]["a"]


def step4_jobs_runtime(aws: EmbeddedAws, lease_seconds: int) -> Any:
    """Step 4 on fresh resources with a short job lease, as a local runtime (and its table's name)."""
    from commands.worlds import step_runtime

    env = {**step_env(aws, "4_dynamodb_sink"), "JOB_LEASE_SECONDS": str(lease_seconds)}
    return step_runtime(f"rel_step4_{os.getpid()}", "4_dynamodb_sink", env), env["DYNAMODB_TABLE_NAME"]


def invoke_job(plane: Any, arn: str, payload: dict[str, Any], session: str | None = None) -> tuple[int, Any]:
    """One InvokeAgentRuntime through the data plane, in its own new session unless one is given."""
    status, _, body = plane.invoke(arn, payload, session or f"rel-job-{uuid.uuid4()}")
    return status, body


def wait_jobs(
    plane: Any, arn: str, job_ids: list[str], done: Any, timeout: float, poller: str
) -> dict[str, dict[str, Any]]:
    """Read every job with `job_status` (one polling session) until `done(view)` holds for all of them."""
    deadline = time.monotonic() + timeout
    while True:
        views = {job_id: invoke_job(plane, arn, {"job_status": job_id}, poller)[1] for job_id in job_ids}
        if all(done(view) for view in views.values()):
            return views
        if time.monotonic() > deadline:
            raise AssertionError(f"jobs not done after {timeout} s: {views}")
        time.sleep(0.2)


def restart_aws(aws: EmbeddedAws) -> None:
    """Start moto's server again on the same host and port (its backends live in this process, so the
    resources and records made before the stop are still there)."""
    from moto.server import ThreadedMotoServer

    host, port = aws.endpoint_url.removeprefix("http://").rsplit(":", 1)
    server = ThreadedMotoServer(ip_address=host, port=int(port), verbose=False)
    server.start()
    aws._server = server
