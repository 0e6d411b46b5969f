"""The runtime's own ARN and qualifier from OTEL_RESOURCE_ATTRIBUTES, and the age of its process."""

from __future__ import annotations

import pytest

from shared.jobs.own_session import OwnSession, process_age


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        (
            "service.name=x,cloud.resource_id=arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/r-1/runtime-endpoint/prod",
            OwnSession("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/r-1", "prod"),
        ),
        (
            "cloud.resource_id=arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A123456789012%3Aruntime%2Fr-1",
            OwnSession("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/r-1", "DEFAULT"),
        ),
        ("cloud.resource_id=arn:aws:lambda:us-east-1:123456789012:function:f", None),
        ("", None),
    ],
)
def test_the_runtime_learns_its_own_arn_from_otel_resource_attributes(
    attributes: str, expected: OwnSession | None
) -> None:
    assert OwnSession.from_env({"OTEL_RESOURCE_ATTRIBUTES": attributes}) == expected


def test_process_age_is_the_time_since_this_process_started() -> None:
    age = process_age()

    assert age >= 0
    assert process_age(now=0) == 0
