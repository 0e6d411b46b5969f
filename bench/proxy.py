"""Section 6: the step 5 proxy's own cost per request, with the runtime call stubbed; its import time.

The real handler (5_api_gateway_proxy/lambda_proxy.py) is loaded once, as a Lambda container would,
and called in-process with a recorded API Gateway event; `invoke_agent_runtime` is answered by
botocore's Stubber (a StreamingBody response), so only the proxy's own work is timed. A naive proxy
that builds its clients and calls STS GetCallerIdentity (to learn the account for the runtime ARN) on
every request is timed the same way, with STS stubbed too; STS calls are counted for both. Then
bench.proxy_probe times the cold import and the cost per request in fresh interpreters, for this tree's
proxy (Powertools' event handler) and for the hand-written proxy it replaced (from git, BEFORE_POWERTOOLS).
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.response import StreamingBody
from botocore.stub import Stubber

from shared.core.lambda_context import LambdaContext

from .context import Context
from .report import Section, Spread, Target
from .servers import ROOT

TITLE = "6. Step 5 proxy cost per request (runtime call stubbed) vs a naive proxy"
EVENT = ROOT / "tests" / "steps" / "step5" / "events" / "calculate_post.json"
ACCOUNT = "123456789012"
REGION = "us-east-1"
RUNTIME_ARN = f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:runtime/step4_dynamodb_sink-AbCd012345"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:step5-proxy"
GOAL_MS = 2.0
# The last commit whose proxy was hand-written (routing, CORS, errors): what the Powertools rewrite replaced.
BEFORE_POWERTOOLS = "d4e5856"
AGENT_ANSWER = b'{"result":10,"dynamodb_stored":true,"item_id":"abc","timestamp":"2026-01-01T00:00:00.000Z"}'


def _answer() -> dict[str, Any]:
    return {
        "response": StreamingBody(io.BytesIO(AGENT_ANSWER), len(AGENT_ANSWER)),
        "contentType": "application/json",
        "statusCode": 200,
        "runtimeSessionId": "s" * 40,
    }


@contextmanager
def _counting_sts() -> Iterator[list[int]]:
    """Count every STS client built and every STS call made, whoever makes them."""
    calls: list[int] = []
    original = botocore.session.Session.create_client

    def create_client(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        client = original(self, service_name, *args, **kwargs)
        if service_name == "sts":
            client.meta.events.register("before-parameter-build.sts.*", lambda **_: calls.append(1))
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        botocore.session.Session.create_client = original  # type: ignore[method-assign]


def _naive_handler() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """What the proxy avoids: clients and an STS call per request to find the account."""

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        sts = boto3.client("sts", region_name=REGION)
        with Stubber(sts) as stub:
            stub.add_response(
                "get_caller_identity",
                {
                    "Account": ACCOUNT,
                    "Arn": f"arn:aws:iam::{ACCOUNT}:user/bench",
                    "UserId": "AIDABENCHUSERID",
                },
            )
            account = sts.get_caller_identity()["Account"]
        runtime = boto3.client("bedrock-agentcore", region_name=REGION)
        arn = f"arn:aws:bedrock-agentcore:{REGION}:{account}:runtime/step4_dynamodb_sink-AbCd012345"
        with Stubber(runtime) as stub:
            stub.add_response("invoke_agent_runtime", _answer())
            answer = runtime.invoke_agent_runtime(
                agentRuntimeArn=arn, payload=event["body"].encode(), runtimeSessionId="n" * 40
            )
        data = json.loads(answer["response"].read())
        return {"statusCode": 200, "body": json.dumps({"success": True, "data": data})}

    return handler


def _time(handler: Callable[[dict[str, Any], Any], dict[str, Any]], event: dict[str, Any], n: int) -> float:
    samples = []
    context = LambdaContext("step5-proxy", invoked_function_arn=FUNCTION_ARN, aws_request_id="bench-request")
    for _ in range(n):
        started = time.perf_counter()
        response = handler(event, context)
        samples.append(time.perf_counter() - started)
        if response["statusCode"] != 200:
            raise RuntimeError(f"unexpected proxy answer: {response}")
    return statistics.median(samples) * 1000


def run(ctx: Context) -> Section:
    if not (ROOT / "5_api_gateway_proxy" / "lambda_proxy.py").is_file():
        return Section(TITLE, skipped="no 5_api_gateway_proxy/lambda_proxy.py in this tree")
    from commands.worlds import STEP5_HANDLER
    from local_cloud.functions import load_handler

    saved = dict(os.environ)
    os.environ.update(
        {
            "AGENT_RUNTIME_ARN": RUNTIME_ARN,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "LOG_LEVEL": "WARNING",
        }
    )
    try:
        handler = load_handler(STEP5_HANDLER, roots=(ROOT,))
        import lambda_proxy  # loaded by load_handler under its file name

        event = json.loads(EVENT.read_text())
        n = 300
        ours: list[float] = []
        naive: list[float] = []
        ours_sts: list[int] = []
        naive_sts: list[float] = []
        naive_handler = _naive_handler()
        client = lambda_proxy.runtime_client()
        for _ in range(ctx.rounds):
            with Stubber(client) as stub, _counting_sts() as sts_calls:
                for _ in range(n + 20):
                    stub.add_response("invoke_agent_runtime", _answer())
                    # The one-off session of a request without X-Session-Id is ended after the answer.
                    stub.add_response(
                        "stop_runtime_session", {"runtimeSessionId": "s" * 40, "statusCode": 200}
                    )
                _time(handler, event, 20)  # warm-up: the container's client already exists
                ours.append(_time(handler, event, n))
                ours_sts.append(len(sts_calls))
            with _counting_sts() as sts_calls:
                calls = max(20, n // 10)
                naive.append(_time(naive_handler, event, calls))
                naive_sts.append(len(sts_calls) / calls)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    ratio = Spread.of([b / a for a, b in zip(ours, naive, strict=True)])
    section = Section(TITLE, columns=["proxy", "median ms per request", "STS calls per request", "vs ours"])
    section.rows.append(["ours (lambda_proxy.handler)", Spread.of(ours).fmt(3), str(max(ours_sts)), "1"])
    section.rows.append(
        [
            "naive: clients + STS per request",
            Spread.of(naive).fmt(3),
            str(min(naive_sts)),
            ratio.fmt(1) + "x slower",
        ]
    )
    median = Spread.of(ours).median
    section.targets.append(
        Target("proxy median per request", f"{median:.3f} ms", f"<= {GOAL_MS} ms", median <= GOAL_MS)
    )
    section.targets.append(Target("STS calls by our proxy", str(max(ours_sts)), "0", max(ours_sts) == 0))
    _before_and_after(ctx, section)
    section.notes.append(
        f"{ctx.rounds} rounds of {n} in-process calls with a recorded API Gateway event; the runtime call is "
        "answered by botocore's Stubber, so the figures are the proxy's own work (validation, session id, "
        "the botocore call path, response assembly, and the StopRuntimeSession call that ends the request's "
        "one-off session, stubbed too). The naive proxy's STS call is stubbed as well."
    )
    return section


def _probe(tree: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.proxy_probe", str(tree), "300", str(EVENT)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _before_and_after(ctx: Context, section: Section) -> None:
    """Rows for the cold import and the per-request cost, before and after Powertools, in fresh processes."""
    with tempfile.TemporaryDirectory(prefix="proxy-before-") as folder:
        before = Path(folder)
        archive = subprocess.run(
            ["git", "archive", BEFORE_POWERTOOLS, "5_api_gateway_proxy", "shared"],
            cwd=ROOT, capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        if archive.returncode != 0:
            section.notes.append(f"before/after not measured: no git history for {BEFORE_POWERTOOLS} here")
            return
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True, timeout=60)
        runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for _ in range(ctx.rounds):
            runs["before"].append(_probe(before))
            runs["after"].append(_probe(ROOT))
    for label, key in (
        ("hand-written proxy (git " + BEFORE_POWERTOOLS + ")", "before"),
        ("Powertools' event handler (this tree)", "after"),
    ):
        imports = Spread.of([r["import_ms"] for r in runs[key]])
        requests = Spread.of([r["per_request_ms"] for r in runs[key]])
        section.rows.append([f"{label}: fresh process", requests.fmt(3), "-", f"import {imports.fmt(0)} ms"])
    after = Spread.of([r["per_request_ms"] for r in runs["after"]]).median
    section.targets.append(
        Target(
            "Powertools proxy per request (fresh process)",
            f"{after:.3f} ms",
            f"<= {GOAL_MS} ms",
            after <= GOAL_MS,
        )
    )
    section.notes.append(
        "Fresh-process rows: bench.proxy_probe imports lambda_proxy first (the import time includes boto3, "
        "as a Lambda cold start does), then answers the event 300 times; the before tree is "
        f"`git archive {BEFORE_POWERTOOLS} 5_api_gateway_proxy shared`. The import column is the median "
        "cold import in ms; the cost per request is the median of 300 calls."
    )
