"""Step 4: compute a + b, optionally wait (the long-running experiment), then write a DynamoDB item."""

import time

from bedrock_agentcore.runtime import BedrockAgentCoreApp

from shared.aws import client
from shared.compute import sum_record
from shared.runtime import MIDDLEWARE, endpoint
from shared.settings import DynamoDbSettings
from shared.sinks import DynamoDbWriter

app = BedrockAgentCoreApp(middleware=MIDDLEWARE)


@app.entrypoint
@endpoint
def invoke(payload, context):
    """Write the item to DYNAMODB_TABLE_NAME after DELAY_SECONDS and return its id."""
    record = sum_record(payload, context)
    settings = DynamoDbSettings.from_env()
    if settings.delay_seconds:
        # Sync entrypoints run in a worker thread: /ping keeps answering while this sleeps.
        time.sleep(settings.delay_seconds)
    item = DynamoDbWriter(client("dynamodb"), settings.table_name, settings.ttl_days).put(record)
    return {
        "result": item["result"],
        "dynamodb_stored": True,
        "item_id": item["id"],
        "timestamp": item["timestamp"],
    }


if __name__ == "__main__":
    app.run()
