"""Faults on demand for a real boto3 client: an operation answers with an AWS error, a raw HTTP answer or an
exception, or its request lands and only the answer is lost, through botocore's own parsing and retries (its
before-send hook), counting the attempts; every attempt, or the first `times` of them.

(Faults of the local AgentCore data plane itself, such as a killed session, are local_cloud.agentcore's.)
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError
from botocore.httpsession import URLLib3Session
from urllib3.response import HTTPResponse

if TYPE_CHECKING:
    import pytest

__all__ = ["ANSWER_LOST", "AnswerLost", "SendFault", "aws_error", "inject_aws_error", "no_retry_sleep"]


class AnswerLost:
    """An outcome: the request reaches AWS (what it writes lands), then the connection closes unanswered."""


ANSWER_LOST = AnswerLost()

Outcome = BaseException | tuple[int, dict[str, str], bytes] | AnswerLost


class SendFault:
    """botocore's before-send hook: every attempt (or the first `times`) gets the outcome; later ones pass.

    Hooks installed on one operation run in turn until one answers or raises, so faults installed one after
    the other play in that order: (ANSWER_LOST, times=1) then (a ConnectionClosedError, times=4) loses the
    first attempt's answer, drops the next four and lets the sixth through.
    """

    def __init__(self, outcome: Outcome, times: int | None = None) -> None:
        self.outcome = outcome
        self.times = times
        self.attempts = 0  # the attempts this hook saw, the ones it let through included

    def install(self, client: Any, operation: str) -> SendFault:
        """Answer every call of `operation` (e.g. "GetItem") on this client; return self."""
        prefix = client.meta.service_model.endpoint_prefix
        client.meta.events.register(f"before-send.{prefix}.{operation}", self)
        return self

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        self.attempts += 1
        if self.times is not None and self.attempts > self.times:
            return None  # through: botocore sends it
        if isinstance(self.outcome, AnswerLost):
            # Sent directly (no proxy), so it lands as botocore would have sent it; then the answer is lost.
            URLLib3Session().send(request)
            raise ConnectionClosedError(endpoint_url=request.url)
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


def no_retry_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make botocore's retry backoff instant (botocore/endpoint.py sleeps in real time between attempts)."""
    import botocore.endpoint

    class _Time:
        @staticmethod
        def sleep(_seconds: float) -> None:
            return None

    monkeypatch.setattr(botocore.endpoint, "time", _Time)
