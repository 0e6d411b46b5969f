"""Step 2: compute a + b and send the result to an SQS queue."""

from bedrock_agentcore.runtime import BedrockAgentCoreApp

from shared.aws import client
from shared.compute import sum_record
from shared.runtime import MIDDLEWARE, endpoint
from shared.serving import serve
from shared.settings import SqsSettings
from shared.sinks import SqsWriter

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
