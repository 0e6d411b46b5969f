"""A small AgentCore app for the proxy's end-to-end tests: SSE, agent 4xx/5xx, slow answers, echo."""

import time

from bedrock_agentcore.runtime import BedrockAgentCoreApp
from bedrock_agentcore.runtime.context import BedrockAgentCoreContext
from starlette.responses import JSONResponse

from shared.agentcore.serving import serve

app = BedrockAgentCoreApp()


@app.entrypoint
def invoke(payload, context):
    """Behave as prompt["mode"] says (the proxy forwards only the prompt); a and b are validated."""
    prompt = payload["prompt"]
    mode = prompt.get("mode", "echo")
    if mode == "stream":
        return _stream(prompt)
    if mode == "conflict":
        body = {
            "error": {"code": "Conflict", "message": "this request was already handled", "field": "prompt"}
        }
        return JSONResponse(body, status_code=409)
    if mode == "crash":
        return JSONResponse(
            {"error": {"code": "InternalError", "message": "secret internals"}}, status_code=500
        )
    if mode == "slow":
        time.sleep(float(prompt.get("sleep", 3)))
    return {
        "sum": prompt["a"] + prompt["b"],
        "session_id": context.session_id,
        "request_id": BedrockAgentCoreContext.get_request_id(),
    }


def _stream(prompt):
    yield {"partial": prompt["a"]}
    yield {"partial": prompt["b"]}
    yield {"result": prompt["a"] + prompt["b"]}


if __name__ == "__main__":
    serve(app)
