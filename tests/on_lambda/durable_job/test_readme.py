"""The README's commands. Its deploy block is what tests/commands/deploy/test_sam_durable_job.py runs; its
start/read/stop block cannot reach a durable execution here (no local stand-in serves those APIs), so it runs
against a loopback recorder: the bundled AWS CLI must accept every line and send the requests the Lambda API
defines (botocore's model), with a stand-in stack for the function's name. That checks the commands, not the
service's answers, which the recorder makes up in the API's shapes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from commands.worlds import DURABLE_JOB
from local_cloud.aws import EmbeddedAws
from local_cloud.loopback import LoopbackHttpServer
from tests.commands.deploy.helpers import readme_block, readme_commands

README = DURABLE_JOB / "README.md"
STACK = "agentcore-lambda-durable-job"
FUNCTION = "agentcore-lambda-durable-job-DurableJobFunction-AbC123"
ARN = f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION}:1/durable-execution/order-17/0f1e2d3c"
# A stack with the template's FunctionName output and nothing else (moto cannot create a durable function).
STAND_IN = json.dumps(
    {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"FunctionName": {"Value": FUNCTION}},
    }
)


class LambdaRecorder(LoopbackHttpServer):
    """Records every request; answers the durable execution operations in botocore's shapes."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.url = ""

    def serve(self) -> tuple[str, int]:
        host, port = super().serve()
        self.url = f"http://{host}:{port}"
        return host, port

    def answer(self, method: str, path: str) -> tuple[int, dict[str, str], dict[str, Any] | None]:
        execution = {"DurableExecutionArn": ARN, "DurableExecutionName": "order-17", "Status": "RUNNING",
                     "FunctionArn": ARN.split("/")[0], "StartTimestamp": 1_780_000_000}  # fmt: skip
        if method == "POST" and path.endswith("/invocations"):
            return 202, {"X-Amz-Durable-Execution-Arn": ARN, "X-Amz-Executed-Version": "1"}, None
        if method == "GET" and path.endswith("/durable-executions"):
            return 200, {}, {"DurableExecutions": [execution]}
        if method == "GET" and path.endswith("/history"):
            return 200, {}, {"Events": []}
        if method == "POST" and path.endswith("/stop"):
            return 200, {}, {"StopTimestamp": 1_780_000_100}
        return 200, {}, execution  # GetDurableExecution

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                url = urlsplit(self.path)
                with recorder.lock:
                    recorder.requests.append(
                        {"method": self.command, "path": unquote(url.path), "query": parse_qs(url.query),
                         "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                    )  # fmt: skip
                status, headers, answer = recorder.answer(self.command, unquote(url.path))
                data = json.dumps(answer).encode() if answer is not None else b""
                self.send_response(status)
                for name, value in {**headers, "Content-Type": "application/json"}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args: Any) -> None:
                return None

        return Handler


@pytest.fixture
def recorder() -> Iterator[LambdaRecorder]:
    with LambdaRecorder() as running:
        yield running


def test_the_deploy_block_is_what_the_sam_test_runs() -> None:
    commands = readme_commands(readme_block(README, "sam build"))
    assert commands[:4] == [
        ".venv/bin/stage-step on_lambda/durable_job",
        "cd on_lambda/durable_job",
        "../../.venv/bin/sam validate --lint",
        "../../.venv/bin/sam build",
    ]
    assert commands[4].startswith(f"../../.venv/bin/sam deploy --stack-name {STACK} ")
    # The relative paths reach the checkout's .venv from the function's folder.
    assert (DURABLE_JOB / "../../.venv/bin/stage-step").resolve() == Path(
        sys.prefix, "bin", "stage-step"
    ).resolve()


def test_the_start_read_stop_block_sends_what_the_lambda_api_defines(
    moto_server: EmbeddedAws, recorder: LambdaRecorder, tmp_path: Path
) -> None:
    block = readme_block(README, "--durable-execution-name")
    script = block.replace(".venv/bin/", f"{sys.prefix}/bin/")
    cfn = moto_server.client("cloudformation")
    cfn.create_stack(StackName=STACK, TemplateBody=STAND_IN)
    env = {
        **moto_server.env(),
        "AWS_ENDPOINT_URL_LAMBDA": recorder.url,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "PATH": "/usr/bin:/bin",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    try:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
    finally:
        cfn.delete_stack(StackName=STACK)
    assert done.returncode == 0, done.stderr[-3000:]

    invoke, listed, got, history, stopped = recorder.requests
    assert (invoke["method"], invoke["path"]) == (
        "POST",
        f"/2015-03-31/functions/{FUNCTION}:live/invocations",
    )
    assert invoke["headers"]["x-amz-invocation-type"] == "Event"
    assert invoke["headers"]["x-amz-durable-execution-name"] == "order-17"
    assert json.loads(invoke["body"]) == {"prompt": {"a": 7, "b": 2}, "delay_seconds": 1200}
    assert listed["path"] == f"/2025-12-01/functions/{FUNCTION}/durable-executions"
    assert listed["query"]["DurableExecutionName"] == ["order-17"]
    # The ARN the list returned is what the later calls name.
    assert (got["method"], got["path"]) == ("GET", f"/2025-12-01/durable-executions/{ARN}")
    assert history["path"] == f"/2025-12-01/durable-executions/{ARN}/history"
    assert (stopped["method"], stopped["path"]) == ("POST", f"/2025-12-01/durable-executions/{ARN}/stop")
    assert '"Status": "RUNNING"' in done.stdout and '"StopTimestamp"' in done.stdout
    assert (tmp_path / "out.json").is_file()
