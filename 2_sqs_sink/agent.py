"""Step 2: compute a + b and send the result to an SQS queue."""

from bedrock_agentcore.runtime import BedrockAgentCoreApp

from shared.agentcore import MIDDLEWARE, endpoint, sum_record
from shared.agentcore.serving import serve
from shared.aws import client
from shared.sinks import SqsSettings, SqsWriter

app = BedrockAgentCoreApp(middleware=MIDDLEWARE)


@app.entrypoint
@endpoint
def invoke(payload, context):
    """Send {"operation", "input", "result", ...} to SQS_QUEUE_URL and return the message id."""
    record = sum_record(payload, context)
    settings = SqsSettings.from_env()
    message_id = SqsWriter(client("sqs"), settings.queue_url).send(record)
    return {
        "result": record.result,
        "message_sent": True,
        "message_id": message_id,
        "request_id": record.request_id,
    }


if __name__ == "__main__":
    serve(app)
