"""Step 5 in `make demo`: curl-like calls through the local API Gateway, the Lambda proxy, the local
AgentCore data plane and the step 4 agent, then the DynamoDB item read back from the embedded AWS."""

from __future__ import annotations

import json
from typing import Any

from devtools.apigw import ApiGatewayProcess
from devtools.emulator import EmbeddedAws, Resources
from devtools.runtime_emulator import RuntimeEmulator, runtime_arn
from devtools.serve import StepServer

STEP = "5_api_gateway_proxy"
RUNTIME_ARN = runtime_arn("step4_dynamodb_sink-local")


def _post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def run_step5_demo(aws: EmbeddedAws, resources: Resources) -> list[Any]:
    """Run step 5 end to end on the given embedded AWS and return the demo's rows."""
    from devtools.demo import Row  # here, not at the top: devtools.demo imports this module

    rows: list[Any] = []
    env = {**aws.env(), **resources.env()}
    with StepServer("4_dynamodb_sink", env) as agent, RuntimeEmulator({RUNTIME_ARN: agent.url}) as runtime:
        # The Lambda's environment: only what a deployed function would have, plus the local endpoint.
        lambda_env = {
            **{k: v for k, v in aws.env().items() if k != "AWS_ENDPOINT_URL"},
            **runtime.env(),
            "AGENT_RUNTIME_ARN": RUNTIME_ARN,
        }
        with ApiGatewayProcess(env=lambda_env) as front:
            url = f"{front.url}/calculate"
            print(
                f"  {STEP}: local API Gateway at {front.url}, AgentCore data plane at {runtime.endpoint_url}"
            )

            request = b'{"prompt": {"a": 5, "b": 5}}'
            status, body = _post(url, request)
            data = body.get("data") or {}
            item: dict[str, Any] = {}
            if status == 200 and data.get("item_id"):
                got = aws.client("dynamodb").get_item(
                    TableName=resources.table_name, Key={"id": {"S": data["item_id"]}}
                )
                item = {k: next(iter(v.values())) for k, v in got.get("Item", {}).items()}
            ok = (
                status == 200
                and body.get("success") is True
                and bool(body.get("request_id"))
                and data.get("result") == 10
                and item.get("result") == "10"
            )
            shown = f"curl -X POST {url} -d '{request.decode()}'"
            rows.append(Row(STEP, shown, f"{status} {json.dumps(body)}", f"DynamoDB: {item}", ok))

            calls_before = len(runtime.invocations)
            bad = b'{"prompt": {"a": "5", "b": 5}}'
            status, body = _post(url, bad)
            error = body.get("error", {})
            ok = (
                status == 400
                and error.get("field") == "prompt.a"
                and len(runtime.invocations) == calls_before
            )
            rows.append(
                Row(STEP, f"curl -X POST {url} -d '{bad.decode()}'", f"{status} {error.get('code')}",
                    "(runtime not invoked, nothing written)", ok)
            )  # fmt: skip
    return rows
