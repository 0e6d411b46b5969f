"""The bedrock-agentcore data-plane wire format (botocore's service model, 2024-02-28) and its errors.

Paths, headers and the `qualifier`/`accountId` query follow botocore/data/bedrock-agentcore/2024-02-28/
service-2.json: InvokeAgentRuntime is `POST /runtimes/{agentRuntimeArn}/invocations`, StopRuntimeSession
`POST /runtimes/{agentRuntimeArn}/stopruntimesession` (body `{"clientToken": ...}`); the session id
travels in a header both ways. Errors are rest-json: the code in `x-amzn-errortype`, `{"message"}` in
the body (ValidationException also has its required `reason`).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import dataclass

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
REQUEST_ID_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"
# Request headers InvokeAgentRuntime may carry that the service hands on to the container.
FORWARDED_HEADERS = (
    "Content-Type",
    "Accept",
    "X-Amzn-Trace-Id",
    "traceparent",
    "tracestate",
    "baggage",
    "X-Amzn-Bedrock-AgentCore-Runtime-User-Id",
    "Mcp-Session-Id",
    "Mcp-Protocol-Version",
)
# The one family of custom headers the service lets through to the container (request header allowlist).
CUSTOM_HEADER_PREFIX = "x-amzn-bedrock-agentcore-runtime-custom-"
INVOKE_PATH = re.compile(r"^/runtimes/(?P<runtime>[^/]+)/invocations$")
STOP_PATH = re.compile(r"^/runtimes/(?P<runtime>[^/]+)/stopruntimesession$")
# botocore's Body shape: max 100,000,000 bytes.
MAX_PAYLOAD_BYTES = 100_000_000
SESSION_ID_LENGTH = (33, 256)
# moto's account; the runtimes given with --runtime NAME=FOLDER live in it.
LOCAL_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
_ERROR_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.bedrock/"


def local_region() -> str:
    """AWS_REGION (then AWS_DEFAULT_REGION), else us-east-1: the region of the local runtime ARNs."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def runtime_arn(runtime_id: str, region: str | None = None, account: str = LOCAL_ACCOUNT) -> str:
    """Return the ARN the service gives a runtime id."""
    return f"arn:aws:bedrock-agentcore:{region or local_region()}:{account}:runtime/{runtime_id}"


def valid_session_id(session_id: str) -> bool:
    """Whether a runtimeSessionId has the 33 to 256 characters the service accepts."""
    return SESSION_ID_LENGTH[0] <= len(session_id) <= SESSION_ID_LENGTH[1]


@dataclass(frozen=True)
class ServiceError(Exception):
    """A data-plane error answered the way the service shapes it."""

    code: str
    status: int
    message: str

    def body(self) -> bytes:
        """The JSON body: the message, and for ValidationException its required reason."""
        doc: dict[str, str] = {"message": self.message}
        if self.code == "ValidationException":
            doc["reason"] = "FieldValidationFailed"
        return json.dumps(doc).encode()

    def headers(self, request_id: str | None = None) -> dict[str, str]:
        """The rest-json error headers botocore reads the code from."""
        return {
            "x-amzn-errortype": f"{self.code}:{_ERROR_NAMESPACE}",
            "x-amzn-RequestId": request_id or str(uuid.uuid4()),
            "Content-Type": "application/json",
        }


def not_found(what: str) -> ServiceError:
    """ResourceNotFoundException (404)."""
    return ServiceError("ResourceNotFoundException", 404, what)


def validation(message: str) -> ServiceError:
    """ValidationException (400)."""
    return ServiceError("ValidationException", 400, message)


def runtime_client_error(message: str) -> ServiceError:
    """RuntimeClientError (424): what the service answers when the container fails."""
    return ServiceError("RuntimeClientError", 424, message)


def quota_exceeded(message: str) -> ServiceError:
    """ServiceQuotaExceededException (402)."""
    return ServiceError("ServiceQuotaExceededException", 402, message)
