"""Step 1: a Lambda-style a + b on AgentCore Runtime, with no model and no AWS calls."""

from bedrock_agentcore.runtime import BedrockAgentCoreApp

from shared.arithmetic import exact_sum
from shared.runtime import MIDDLEWARE, endpoint
from shared.validation import parse_sum_request

app = BedrockAgentCoreApp(middleware=MIDDLEWARE)


@app.entrypoint
@endpoint
def invoke(payload, context):
    """Return {"result": a + b}."""
    operands = parse_sum_request(payload)
    return {"result": exact_sum(operands.a, operands.b)}


if __name__ == "__main__":
    app.run()
