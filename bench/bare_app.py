"""The floor for the HTTP benchmarks: a bare BedrockAgentCoreApp that adds a and b, nothing else."""

import logging
import os

from bedrock_agentcore.runtime import BedrockAgentCoreApp

app = BedrockAgentCoreApp()
# Same per-request SDK log line as the steps at the same LOG_LEVEL, so only our code differs.
logging.getLogger("bedrock_agentcore.app").setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())


@app.entrypoint
def invoke(payload):
    """Return {"result": a + b} with no validation."""
    prompt = payload["prompt"]
    return {"result": prompt["a"] + prompt["b"]}


if __name__ == "__main__":
    from shared.agentcore.serving import serve  # served as the steps are

    serve(app)
