"""Step 4: compute a + b, optionally wait (the long-running experiment), then write a DynamoDB item.

`"mode": "async"` answers at once with a job id and does the work in the background (/ping says
HealthyBusy meanwhile); `{"job_status": "<job_id>"}` reads the job back.
"""

import dataclasses
import time

from bedrock_agentcore.runtime import BedrockAgentCoreApp

from shared.agentcore import MIDDLEWARE, endpoint, sum_record
from shared.agentcore.jobs import BackgroundRunner, submit_job
from shared.agentcore.serving import serve
from shared.aws import DynamoDbWriter, JobStore, client
from shared.core.jobs import check_job_id, job_view, parse_job_options
from shared.core.settings import DynamoDbSettings

app = BedrockAgentCoreApp(middleware=MIDDLEWARE)
runner = BackgroundRunner(app)


@app.entrypoint
@endpoint
def invoke(payload, context):
    """Write the item to DYNAMODB_TABLE_NAME after DELAY_SECONDS and return its id (or run it as a job)."""
    if isinstance(payload, dict) and "job_status" in payload:
        job_id = check_job_id(payload["job_status"])
        settings = DynamoDbSettings.from_env()
        return job_view(JobStore(client("dynamodb"), settings.table_name, settings.ttl_days).get(job_id))

    record = sum_record(payload, context)
    options = parse_job_options(payload)
    settings = DynamoDbSettings.from_env()
    writer = DynamoDbWriter(client("dynamodb"), settings.table_name, settings.ttl_days)

    if options.mode == "async":
        delay = settings.delay_seconds if options.delay_seconds is None else options.delay_seconds

        def work(job):
            time.sleep(delay)
            # The item is keyed by the job id, so a job never writes two items.
            item = writer.put(dataclasses.replace(record, request_id=job.job_id))
            return {"result": item["result"], "result_item_id": item["id"]}

        store = JobStore(client("dynamodb"), settings.table_name, settings.ttl_days)
        return submit_job(runner, store, record, options, delay, work)

    if settings.delay_seconds:
        # Sync entrypoints run in a worker thread: /ping keeps answering while this sleeps.
        time.sleep(settings.delay_seconds)
    item = writer.put(record)
    return {
        "result": item["result"],
        "dynamodb_stored": True,
        "item_id": item["id"],
        "timestamp": item["timestamp"],
    }


if __name__ == "__main__":
    serve(app)
