"""Universal targets checked against botocore's model as Scheduler will render them: the traps found."""

from __future__ import annotations

import json

import pytest

from local_cloud.events.scheduler import TargetInvalid, render, sample_context, validate_target

ARN = "arn:aws:scheduler:::aws-sdk:bedrockagentcore:invokeAgentRuntime"
RUNTIME = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/step4-AbCdEf1234"
CONTEXT = sample_context("arn:aws:scheduler:us-east-1:123456789012:schedule/default/daily")
GOOD = {
    "AgentRuntimeArn": RUNTIME,
    "RuntimeSessionId": "scheduled-job-daily-<aws.scheduler.scheduled-time>",
    "ContentType": "application/json",
    "Qualifier": "DEFAULT",
    "Payload": json.dumps({"prompt": {"a": 1, "b": 2}, "mode": "async"}),
}


def target(document: object, arn: str = ARN) -> dict:
    return {"Arn": arn, "RoleArn": "arn:aws:iam::123456789012:role/scheduler", "Input": json.dumps(document)}


def test_a_good_invoke_agent_runtime_target_renders_to_botocore_parameters() -> None:
    checked = validate_target(target(GOOD), CONTEXT)
    assert (checked.service, checked.operation) == ("bedrock-agentcore", "InvokeAgentRuntime")
    assert checked.params["agentRuntimeArn"] == RUNTIME
    assert (
        checked.params["runtimeSessionId"] == f"scheduled-job-daily-{CONTEXT['aws.scheduler.scheduled-time']}"
    )
    assert json.loads(checked.params["payload"]) == {"prompt": {"a": 1, "b": 2}, "mode": "async"}


@pytest.mark.parametrize(
    ("document", "arn", "problem"),
    [
        # 10 + 20 characters once rendered: under InvokeAgentRuntime's 33-character minimum.
        ({**GOOD, "RuntimeSessionId": "scheduled-<aws.scheduler.scheduled-time>"}, ARN,
         "Invalid length for parameter runtimeSessionId, value: 30, valid min length: 33"),
        ({"agentRuntimeArn": RUNTIME, "payload": "{}"}, ARN, "missing AgentRuntimeArn, Payload"),
        ({**GOOD, "Payload": {"prompt": {"a": 1, "b": 2}}}, ARN, ".Payload: give a blob as text"),
        ({**GOOD, "Qualifer": "DEFAULT"}, ARN, "unknown Qualifer"),
        (GOOD, "arn:aws:scheduler:::aws-sdk:bedrockagentcore:getAgentCard", "getAgentCard is read-only"),
        (GOOD, "arn:aws:scheduler:::aws-sdk:nosuchservice:doIt", "unknown AWS SDK service identifier"),
        (GOOD, "arn:aws:lambda:us-east-1:123456789012:function:f", "not a universal target ARN"),
    ],
)  # fmt: skip
def test_a_target_scheduler_could_not_call_is_refused_saying_why(
    document: object, arn: str, problem: str
) -> None:
    with pytest.raises(TargetInvalid) as refused:
        validate_target(target(document, arn), CONTEXT)
    assert problem in str(refused.value)


def test_input_that_is_not_json_once_rendered_is_refused() -> None:
    with pytest.raises(TargetInvalid, match="not JSON once rendered"):
        validate_target({"Arn": ARN, "RoleArn": "r", "Input": '{"a": <aws.scheduler.attempt-number'}, CONTEXT)


def test_the_context_attributes_are_replaced() -> None:
    text = "<aws.scheduler.schedule-arn> <aws.scheduler.scheduled-time> <aws.scheduler.execution-id> <aws.scheduler.attempt-number>"
    rendered = render(text, CONTEXT).split()
    assert rendered[0] == CONTEXT["aws.scheduler.schedule-arn"] and rendered[3] == "1"
    assert len(rendered[2]) == 16  # the documented example's length
