"""The OpenAPI description of step 5's routes (request bodies, answers); lambda_proxy's routes carry it.

`python -m commands.openapi` writes openapi.json from the routes; the template test, the local API
Gateway and the schemathesis run read that file.
"""

_NUMBER = {
    "type": "number",
    "description": "a number DynamoDB can store: 38 significant digits, 1E-130 to 1E+126",
}
_PROMPT = {
    "type": "object",
    "required": ["a", "b"],
    "properties": {"a": _NUMBER, "b": _NUMBER},
}
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string"},
                "request_id": {"type": "string"},
            },
        }
    },
}
# What API Gateway itself answers (missing key, throttling, integration timeout, a failed function).
_GATEWAY = {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}
_JOB = {
    "type": "object",
    "required": ["job_id", "status", "input", "created_at", "updated_at"],
    "properties": {
        "job_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,128}$"},
        "status": {"enum": ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]},
        "input": {"type": "object", "properties": {"a": _NUMBER, "b": _NUMBER}},
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "started_at": {"type": "string"},
        "finished_at": {"type": "string"},
        "delay_seconds": {"type": "integer"},
        "idempotency_key": {"type": "string"},
        "attempt": {
            "type": "integer",
            "minimum": 1,
            "description": "1, then 2, ... for each run after JobLost",
        },
        "result": _NUMBER,
        "item_id": {"type": ["string", "null"]},
        "error": {
            "type": "object",
            "description": "FAILED: why; code JobLost when the job's session ended before it finished",
            "properties": {"code": {"type": ["string", "null"]}, "message": {}},
        },
    },
}


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses, overrides=None):
    described = {
        400: "bad input: what is wrong and what is expected",
        401: "API Gateway: missing or invalid token (JWT or Cognito authorizer)",
        403: "API Gateway: missing or invalid API key",
        404: "no such record",
        405: "the resource exists, but not with this method",
        409: "the agent's session is busy with an earlier request",
        413: "the request body is too large",
        415: "the request body is not JSON",
        429: "throttled (API Gateway or the runtime); see Retry-After",
        500: "the proxy is misconfigured (the code names what)",
        502: "the runtime or the agent failed",
        503: "the runtime or the jobs table is unavailable; see Retry-After",
        504: "the agent did not answer in time",
    }
    described.update(overrides or {})
    return {status: _json({"anyOf": [_ERROR, _GATEWAY]}, described[status]) for status in statuses}


def _body(schema, example):
    # The example is documentation, and the request a fuzzer sends first (a valid one, whatever it generates).
    media = {"schema": schema, "example": example}
    return {"requestBody": {"required": True, "content": {"application/json": media}}}


CALCULATE = {
    "summary": "Add a and b on the runtime, synchronously",
    "description": (
        "Invokes the runtime once. X-Session-Id (33 to 256 characters) keeps a runtime session of the "
        "caller's own (no other caller can reach it); without one, the request gets a session that ends "
        "after it."
    ),
    "responses": {
        200: _json(
            {
                "type": "object",
                "required": ["success", "data", "request_id"],
                "properties": {"success": {"const": True}, "data": {}, "request_id": {"type": "string"}},
            },
            "the agent's answer",
        ),
        **_errors(400, 401, 403, 404, 409, 413, 415, 429, 500, 502, 503, 504),
    },
    "openapi_extensions": _body(
        {
            "type": "object",
            "required": ["prompt"],
            "additionalProperties": False,
            "properties": {"prompt": _PROMPT},
        },
        {"prompt": {"a": 1, "b": 2}},
    ),
}

SUBMIT_JOB = {
    "summary": "Start the sum as an async job on the runtime",
    "description": (
        "202, the new job, Location: /jobs/{id}; 200 with the job the caller's idempotency_key started "
        "(202 again when that job was lost: it runs once more). 400 for a job its session's maxLifetime "
        "cannot hold."
    ),
    "responses": {
        200: _json(_JOB, "the job this idempotency_key started before"),
        202: _json(_JOB, "the job this request started (or started again after JobLost)"),
        **_errors(400, 401, 403, 409, 413, 415, 429, 500, 502, 503, 504),
    },
    "openapi_extensions": _body(
        {
            "type": "object",
            "required": ["prompt"],
            "additionalProperties": False,
            "properties": {
                "prompt": _PROMPT,
                "mode": {"const": "async"},
                "delay_seconds": {"type": "integer", "minimum": 0, "maximum": 28_800},
                "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 256},
            },
        },
        {"prompt": {"a": 1, "b": 2}, "mode": "async", "idempotency_key": "order-1"},
    ),
}

GET_JOB = {
    "summary": "Read a job (from DynamoDB, never the runtime)",
    "description": "404 for an unknown id and for another caller's job alike.",
    "responses": {
        200: _json(_JOB, "the job"),
        **_errors(400, 401, 403, 404, 429, 500, 502, 503, 504),
    },
}

_ENDED = "the job has already ended (SUCCEEDED, FAILED or CANCELLED): nothing to cancel"
CANCEL_JOB = {
    "summary": "Cancel a job: CANCELLED, its work stopped, its runtime session ended",
    "description": "404 for an unknown id and for another caller's job alike; 409 for a job that has ended.",
    "responses": {
        200: _json(_JOB, "the job, CANCELLED"),
        **_errors(400, 401, 403, 404, 409, 429, 500, 502, 503, 504, overrides={409: _ENDED}),
    },
}
