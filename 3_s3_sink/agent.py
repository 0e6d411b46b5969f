"""Step 3: compute a + b and store the result as a date-partitioned JSON object in S3."""

from bedrock_agentcore.runtime import BedrockAgentCoreApp

from shared.agentcore import MIDDLEWARE, endpoint, sum_record
from shared.agentcore.serving import serve
from shared.aws import client
from shared.sinks import S3Settings, S3Writer

app = BedrockAgentCoreApp(middleware=MIDDLEWARE)


@app.entrypoint
@endpoint
def invoke(payload, context):
    """Store the record at <S3_PREFIX>/YYYY/MM/DD/<request_id>.json in S3_BUCKET_NAME."""
    record = sum_record(payload, context)
    settings = S3Settings.from_env()
    key = S3Writer(client("s3"), settings.bucket, settings.prefix).put(record)
    return {"result": record.result, "s3_stored": True, "s3_key": key, "request_id": record.request_id}


if __name__ == "__main__":
    serve(app)
