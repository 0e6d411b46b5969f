"""Step 4: compute a + b, optionally wait (the long-running experiment), then write a DynamoDB item.

`"mode": "async"` answers at once with a job id and does the work in the background (/ping says
HealthyBusy meanwhile, a heartbeat keeps the job's lease); `{"job_status": "<job_id>"}` reads the job
back and `{"cancel_job": "<job_id>"}` cancels it.
"""

import time

from bedrock_agentcore.runtime import BedrockAgentCoreApp

from shared.agentcore import MIDDLEWARE, endpoint, sum_record
from shared.agentcore.serving import serve
from shared.aws import client
from shared.jobs import JobSettings, JobStore, NewJob, parse_job_options
from shared.jobs.model import new_job_id, record_for
from shared.jobs.runner import BackgroundRunner, cancel_job, job_status, payload_caller, submit_job
from shared.sinks import DynamoDbSettings, DynamoDbWriter

app = BedrockAgentCoreApp(middleware=MIDDLEWARE)
runner = BackgroundRunner(app)


def job_store(settings, jobs):
    """The job records, in the step's own table."""
    return JobStore(client("dynamodb"), settings.table_name, settings.ttl_days, jobs.lease_seconds)


@app.entrypoint
@endpoint
def invoke(payload, context):
    """Write the item to DYNAMODB_TABLE_NAME after DELAY_SECONDS and return its id (or run it as a job)."""
    if isinstance(payload, dict) and ("job_status" in payload or "cancel_job" in payload):
        store = job_store(DynamoDbSettings.from_env(), JobSettings.from_env())
        return job_status(store, payload) if "job_status" in payload else cancel_job(store, payload)

    record = sum_record(payload, context)
    options = parse_job_options(payload)
    settings = DynamoDbSettings.from_env()
    writer = DynamoDbWriter(client("dynamodb"), settings.table_name, settings.ttl_days)

    if options.mode == "async":
        jobs = JobSettings.from_env()
        job = NewJob(
            job_id=new_job_id(),
            a=record.a,
            b=record.b,
            request_id=record.request_id,
            session_id=record.session_id,
            idempotency_key=options.idempotency_key,
            delay_seconds=settings.delay_seconds if options.delay_seconds is None else options.delay_seconds,
            caller=payload_caller(payload),
        )

        def work(job, control):
            if control.wait(job.delay_seconds):
                return None  # cancelled (or run again elsewhere) while it waited
            # The item is keyed by the job id, so a job never writes two items, whatever its attempts.
            item = writer.put(record_for(job))
            return {"result": item["result"], "result_item_id": item["id"]}

        return submit_job(runner, job_store(settings, jobs), job, work, jobs)

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
