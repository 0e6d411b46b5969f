"""Step 1: a Lambda-style a + b on AgentCore Runtime, with no model and no AWS calls."""

from bedrock_agentcore.runtime import BedrockAgentCoreApp

from shared.agentcore import MIDDLEWARE, endpoint
from shared.agentcore.serving import serve
from shared.core.validation import checked_sum

app = BedrockAgentCoreApp(middleware=MIDDLEWARE)


@app.entrypoint
@endpoint
def invoke(payload, context):
    """Return {"result": a + b}."""
    return {"result": checked_sum(payload)}


if __name__ == "__main__":
    serve(app)
