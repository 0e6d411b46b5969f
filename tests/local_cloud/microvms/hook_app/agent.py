"""A MicroVM app for the plane's tests: its hooks, on the app's own port, behave as the run hook's payload
says ({"run": "ok" | "fail" | <seconds to sleep>, "resume": ..., "suspend": ..., "terminate": ...}); it
answers what it saw (the hooks called, the run hook's body, the request's headers) and burns CPU on ask."""

import asyncio
import json
import os
import time

from bedrock_agentcore.runtime import BedrockAgentCoreApp
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shared.agentcore.serving import serve

app = BedrockAgentCoreApp()
SEEN = {"hooks": [], "run_body": None, "plan": {}}


@app.entrypoint
def invoke(payload, context):
    """What this MicroVM saw; {"burn": seconds} spins the CPU that long first."""
    burn = float(payload.get("burn", 0))
    until = time.process_time() + burn
    while time.process_time() < until:
        pass
    return {"pid": os.getpid(), **SEEN}


async def hook(request: Request) -> Response:
    """One lifecycle hook: 200, 500 ("fail") or 200 after sleeping, as the run payload planned."""
    name = request.path_params["name"]
    body = await request.body()
    if name == "run":
        SEEN["run_body"] = json.loads(body)
        SEEN["plan"] = json.loads(SEEN["run_body"].get("runHookPayload") or "{}")
    SEEN["hooks"].append(name)
    plan = SEEN["plan"].get(name, "ok")
    if plan == "fail":
        return JSONResponse({"failed": name}, status_code=500)
    if plan != "ok":
        await asyncio.sleep(float(plan))
    return Response(status_code=200)


async def headers(request: Request) -> Response:
    """The request's headers as the app received them."""
    return JSONResponse(dict(request.headers))


app.add_route("/aws/lambda-microvms/runtime/v1/{name}", hook, methods=["POST"])
app.add_route("/headers", headers, methods=["GET"])


if __name__ == "__main__":
    serve(app)
