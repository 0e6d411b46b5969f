"""Faults on demand for a real boto3 client: an operation answers with an AWS error, a raw HTTP answer or an
exception, through botocore's own parsing and retries (its before-send hook), counting the attempts.

(Faults of the local AgentCore data plane itself, such as a killed session, are local_cloud.agentcore's.)
"""

from __future__ import annotations

import io
from typing import Any

from botocore.awsrequest import AWSResponse
from urllib3.response import HTTPResponse

__all__ = ["SendFault", "aws_error", "inject_aws_error"]

Outcome = BaseException | tuple[int, dict[str, str], bytes]


class SendFault:
    """botocore's before-send hook: every attempt raises the exception or answers the raw HTTP response."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.attempts = 0

    def install(self, client: Any, operation: str) -> SendFault:
        """Answer every call of `operation` (e.g. "GetItem") on this client; return self."""
        prefix = client.meta.service_model.endpoint_prefix
        client.meta.events.register(f"before-send.{prefix}.{operation}", self)
        return self

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        self.attempts += 1
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        status, headers, body = self.outcome
        raw = HTTPResponse(body=io.BytesIO(body), status=status, headers=headers, preload_content=False)
        return AWSResponse(request.url, status, headers, raw)


def aws_error(client: Any, status: int, code: str) -> tuple[int, dict[str, str], bytes]:
    """The raw HTTP answer of an AWS error in the client's protocol (XML for S3, JSON for the others)."""
    if client.meta.service_model.protocol == "rest-xml":
        body = f"<Error><Code>{code}</Code><Message>injected {code}</Message></Error>".encode()
        return status, {"Content-Type": "application/xml"}, body
    body = f'{{"__type": "{code}", "message": "injected {code}"}}'.encode()
    return (
        status,
        {"Content-Type": "application/x-amz-json-1.0", "x-amzn-query-error": f"{code};Sender"},
        body,
    )


def inject_aws_error(client: Any, operation: str, status: int, code: str) -> SendFault:
    """Make every call of `operation` on this real client get that AWS error (retried as a real one is)."""
    return SendFault(aws_error(client, status, code)).install(client, operation)
