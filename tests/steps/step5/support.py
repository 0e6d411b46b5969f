"""Helpers for the step 5 tests: the Lambda module, API Gateway event fixtures, a Lambda context."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from commands.steps import ROOT
from commands.worlds import Resources, step_runtime
from harness.modules import load_module
from local_cloud.agentcore import RuntimeSpec, runtime_arn
from local_cloud.apigw import response_headers
from local_cloud.aws import EmbeddedAws
from shared.core.lambda_context import LambdaContext

STEP5 = ROOT / "5_api_gateway_proxy"
EVENTS = Path(__file__).parent / "events"
STEP4_ARN = runtime_arn("step4_dynamodb_sink-local")
TEST_AGENT_ARN = runtime_arn("step5_test_agent-local")
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:agentcore-proxy"
# The step 5 tests' data planes: forked sessions (fast cold starts), idle sessions reaped within seconds.
LOCAL_SETTINGS = {"start_mode": "fork", "idle_timeout": 5.0, "stop_grace": 2.0}
# The proxy's SESSION_ID_SECRET in these tests (a deployed stack's comes from Secrets Manager).
SESSION_SECRET = "step5-tests-session-secret-0123456789"


def runtime_session(given: str, caller: str | None = None) -> str:
    """The runtime session id the proxy derives from a caller's X-Session-Id with the tests' secret."""
    from shared.runtime.sessions import scoped_session_id

    return scoped_session_id(SESSION_SECRET.encode(), caller, given)


def step4_runtime(aws: EmbeddedAws, sinks: Resources, **job_settings: Any) -> RuntimeSpec:
    """Step 4 as the runtime the proxy invokes (the demo's), pointed at the suite's moto and sinks."""
    from commands.worlds import STEP4_RUNTIME_ARN, step4_runtime

    assert STEP4_RUNTIME_ARN == STEP4_ARN
    return step4_runtime(aws, sinks, **job_settings)


def agent_app_runtime() -> RuntimeSpec:
    """tests/step5/agent_app.py (SSE, agent 4xx/5xx, slow answers, echo) as a runtime."""
    return step_runtime(TEST_AGENT_ARN.rsplit("/", 1)[1], Path(__file__).parent, module="agent_app")


# Imported by path under its own name, as Lambda does with `lambda_proxy.handler`.
lambda_proxy = load_module(STEP5 / "lambda_proxy.py")


def FakeContext(function_arn: str = FUNCTION_ARN) -> LambdaContext:
    """A Lambda context for the proxy function, with a fixed request id."""
    return LambdaContext(
        function_name=function_arn.rsplit(":", 1)[-1], invoked_function_arn=function_arn,
        aws_request_id="lambda-request-0001",
    )  # fmt: skip


def headers_of(response: dict[str, Any]) -> dict[str, str]:
    """The response headers as API Gateway sends them (multiValueHeaders win over headers)."""
    return dict(response_headers(response))


def event(**changes: Any) -> dict[str, Any]:
    """Return the recorded POST /calculate event with some keys replaced."""
    base = json.loads((EVENTS / "calculate_post.json").read_text())
    base = copy.deepcopy(base)
    base.update(changes)
    return base


def with_header(evt: dict[str, Any], name: str, value: str | None) -> dict[str, Any]:
    """Set (or with None remove) a header in both header maps, as API Gateway would send it."""
    for key in [k for k in evt["headers"] if k.lower() == name.lower()]:
        del evt["headers"][key]
        del evt["multiValueHeaders"][key]
    if value is not None:
        evt["headers"][name] = value
        evt["multiValueHeaders"][name] = [value]
    return evt
