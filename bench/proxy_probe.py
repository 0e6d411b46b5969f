"""One step 5 Lambda package, timed in a fresh interpreter: its import, then its cost per request.

`python -m bench.proxy_probe <tree> <requests>` imports <tree>/5_api_gateway_proxy/lambda_proxy.py with
<tree>'s shared/ (nothing heavy is imported before, so the import time is the function's cold import),
then answers the recorded API Gateway event <requests> times with the runtime call stubbed by botocore's
Stubber, and prints one JSON line: {"import_ms": ..., "per_request_ms": <median>}. Section 6 runs it on
this tree and on the proxy before it moved to Powertools, so both are measured in the same run.
"""

from __future__ import annotations

import os
import sys
import time

TREE = sys.argv[1]
# The package's own folder and its shared/, ahead of this repository's (a Lambda has only its package).
sys.path[:0] = [os.path.join(TREE, "5_api_gateway_proxy"), TREE]
os.environ.update(
    AGENT_RUNTIME_ARN="arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/step4_dynamodb_sink-AbCd012345",
    AWS_REGION="us-east-1",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",
    LOG_LEVEL="WARNING",
)
started = time.perf_counter()
import lambda_proxy  # noqa: E402  (timed: nothing heavy is imported before it)

import_ms = (time.perf_counter() - started) * 1000

import io  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402

from botocore.response import StreamingBody  # noqa: E402
from botocore.stub import Stubber  # noqa: E402

ANSWER = b'{"result":10,"dynamodb_stored":true,"item_id":"abc","timestamp":"2026-01-01T00:00:00.000Z"}'


class Context:
    """The Lambda context attributes either proxy reads (Powertools' Logger reads all of them)."""

    function_name = "step5-proxy"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:step5-proxy"
    memory_limit_in_mb = "256"
    aws_request_id = "bench-request"
    log_group_name = log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 28_000


def main() -> None:
    """Answer the event `requests` times (after 20 to warm up) and print the figures."""
    requests = int(sys.argv[2])
    event = json.loads(open(sys.argv[3], encoding="utf-8").read())  # noqa: SIM115
    context = Context()
    samples = []
    # A proxy that ends the session it opened for a request without X-Session-Id calls StopRuntimeSession
    # after every answer (issue 14); the one before Powertools did not.
    ends_sessions = hasattr(lambda_proxy, "ONE_OFF_SESSION_PREFIX")
    with Stubber(lambda_proxy.runtime_client()) as stub:
        for i in range(requests + 20):
            body = StreamingBody(io.BytesIO(ANSWER), len(ANSWER))
            stub.add_response(
                "invoke_agent_runtime",
                {
                    "response": body,
                    "contentType": "application/json",
                    "statusCode": 200,
                    "runtimeSessionId": "s" * 40,
                },
            )
            if ends_sessions:
                stub.add_response("stop_runtime_session", {"runtimeSessionId": "s" * 40, "statusCode": 200})
            begun = time.perf_counter()
            answer = lambda_proxy.handler(event, context)
            if i >= 20:
                samples.append(time.perf_counter() - begun)
            if answer["statusCode"] != 200:
                raise SystemExit(f"unexpected proxy answer: {answer}")
    print(json.dumps({"import_ms": import_ms, "per_request_ms": statistics.median(samples) * 1000}))


main()
