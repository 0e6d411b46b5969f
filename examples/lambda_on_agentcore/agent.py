"""The Lambda handler in handler.py, unchanged, served on AgentCore Runtime through the adapter."""

from bedrock_agentcore.runtime import BedrockAgentCoreApp
from handler import handler

from shared.agentcore import MIDDLEWARE
from shared.agentcore.lambda_adapter import lambda_entrypoint
from shared.agentcore.serving import serve

app = BedrockAgentCoreApp(middleware=MIDDLEWARE)
# The payload is the Lambda event. The function name comes from AWS_LAMBDA_FUNCTION_NAME when set:
# set it to the Lambda's name so Powertools' idempotency keys stay the same after the move.
app.entrypoint(lambda_entrypoint(handler))


if __name__ == "__main__":
    serve(app)
