"""Step 6's template and state machine, read offline: cfn-lint, least privilege role by role, the definition's
guards and bounds, the schedule's target against botocore's InvokeAgentRuntime model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from commands.worlds import STEP6
from harness.templates import check_template, lint_template
from local_cloud.aws.cfn import load_template, translate_sam
from local_cloud.events.scheduler import TargetInvalid, sample_context, validate_target

TEMPLATE = STEP6 / "template.yaml"
DEFINITION = STEP6 / "statemachine" / "job_chain.asl.json"
RUNTIME_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/step4_dynamodb_sink-AbCd012345"


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    return translate_sam(TEMPLATE, parameter_values={"AgentRuntimeArn": RUNTIME_ARN})


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return json.loads(DEFINITION.read_text(encoding="utf-8"))


def statements(cfn: dict[str, Any], role: str) -> list[dict[str, Any]]:
    policies = cfn["Resources"][role]["Properties"].get("Policies", [])
    return [s for p in policies for s in p["PolicyDocument"]["Statement"]]


def grants(cfn: dict[str, Any], role: str) -> set[tuple[str, str]]:
    """(action, resource as written) for every Allow of a role's inline policies."""
    found = set()
    for statement in statements(cfn, role):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        found |= {(a, json.dumps(r, sort_keys=True)) for a in actions for r in resources}
    return found


def test_the_template_passes_cfn_lint_before_and_after_translation(cfn: dict[str, Any]) -> None:
    assert lint_template(TEMPLATE) == []
    assert lint_template(cfn) == []


def test_the_least_privilege_checker_finds_nothing_to_narrow(cfn: dict[str, Any]) -> None:
    assert check_template(cfn) == []


def actions(cfn: dict[str, Any], role: str) -> set[str]:
    return {action for action, _ in grants(cfn, role)}


RUNTIME = {
    json.dumps({"Ref": "AgentRuntimeArn"}),
    json.dumps({"Fn::Sub": "${AgentRuntimeArn}/runtime-endpoint/*"}),
}


def test_each_role_may_do_what_its_code_does_and_nothing_more(cfn: dict[str, Any]) -> None:
    runtime_actions = {"bedrock-agentcore:InvokeAgentRuntime", "bedrock-agentcore:StopRuntimeSession"}
    # The starter: one runtime, nothing else.
    assert actions(cfn, "StarterFunctionRole") == runtime_actions
    assert {r for _, r in grants(cfn, "StarterFunctionRole")} == RUNTIME
    # The consumer: the same runtime, job records, and only what the mapping needs on its one queue.
    queue = json.dumps({"Fn::GetAtt": ["JobsQueue", "Arn"]})
    assert actions(cfn, "ConsumerFunctionRole") == runtime_actions | {
        "dynamodb:GetItem", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
    }  # fmt: skip
    assert {r for a, r in grants(cfn, "ConsumerFunctionRole") if a.startswith("sqs:")} == {queue}
    # The state machine: invoke the starter, read job records.
    assert grants(cfn, "JobStateMachineRole") == {
        ("lambda:InvokeFunction", json.dumps({"Fn::GetAtt": ["StarterFunction", "Arn"]})),
        (
            "dynamodb:GetItem",
            json.dumps({"Fn::ImportValue": {"Fn::Sub": "${SinksStackName}-DynamoDbTableArn"}}),
        ),
    }
    # The schedule: the runtime, and its dead-letter queue.
    assert actions(cfn, "SchedulerRole") == {"bedrock-agentcore:InvokeAgentRuntime", "sqs:SendMessage"}
    # Reads of the shared table are limited to job records ("job#..."), wherever they are granted.
    for role in ("ConsumerFunctionRole", "JobStateMachineRole"):
        [read] = [s for s in statements(cfn, role) if s["Action"] == "dynamodb:GetItem"]
        assert read["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["job#*"]}}


def test_no_role_gets_a_managed_policy_beyond_writing_its_logs(cfn: dict[str, Any]) -> None:
    for name, resource in cfn["Resources"].items():
        if resource["Type"] == "AWS::IAM::Role":
            managed = [json.dumps(arn) for arn in resource["Properties"].get("ManagedPolicyArns", [])]
            assert all("AWSLambdaBasicExecutionRole" in arn for arn in managed), (name, managed)


def test_the_mapping_reports_item_failures_and_the_queue_dead_letters(cfn: dict[str, Any]) -> None:
    mapping = cfn["Resources"]["JobsQueueMapping"]["Properties"]
    queue = cfn["Resources"]["JobsQueue"]["Properties"]
    parameters = load_template(TEMPLATE)["Parameters"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["JobsDlq", "Arn"]}
    # Lambda's guide: a visibility timeout of six times the function's timeout, maxReceiveCount at least 5.
    visibility, timeout = parameters["QueueVisibilityTimeout"], parameters["ConsumerTimeoutSeconds"]
    assert visibility["Default"] >= 6 * timeout["Default"] and parameters["MaxReceiveCount"]["Default"] >= 5


def choice_rules(rules: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every comparison of a Choice, And/Or/Not unfolded, with the And it sits in."""
    for rule in rules:
        for nested in ("And", "Or"):
            if nested in rule:
                yield from choice_rules(rule[nested])
        if "Not" in rule:
            yield from choice_rules([rule["Not"]])
        if "Variable" in rule:
            yield rule


def test_every_choice_on_the_item_is_guarded_by_is_present(definition: dict[str, Any]) -> None:
    # AWS fails an execution whose Choice reads a path the input lacks; moto does not, so a test here could
    # not catch it: every comparison on the record's fields sits in an And with an IsPresent of that field.
    for rule in definition["States"]["CheckJob"]["Choices"]:
        compared = [c["Variable"] for c in choice_rules([rule]) if "IsPresent" not in c]
        guarded = {c["Variable"] for c in choice_rules([rule]) if c.get("IsPresent") is True}
        for variable in compared:
            if variable.startswith("$.record.Item."):
                assert variable in guarded and "And" in rule, (rule, variable)


def test_the_execution_is_bounded_and_its_failures_named(definition: dict[str, Any]) -> None:
    states = definition["States"]
    assert definition["QueryLanguage"] == "JSONPath" and definition["TimeoutSeconds"] <= 30_000
    assert any(r.get("NumericGreaterThanEqualsPath") == "$.max_polls" for r in states["CheckJob"]["Choices"])
    assert states["WaitForJob"]["SecondsPath"] == "$.poll_seconds"
    [retry] = states["GetJob"]["Retry"]
    assert (
        "DynamoDB.ProvisionedThroughputExceededException" in retry["ErrorEquals"] and retry["BackoffRate"] > 1
    )
    [catch] = states["StartJob"]["Catch"]
    assert (catch["ErrorEquals"], catch["Next"]) == (["States.ALL"], "StartFailed")
    assert states["StartFailed"]["ErrorPath"] == "$.error.Error"
    assert states["JobFailed"]["ErrorPath"] == "$.record.Item.error_code.S"


@pytest.mark.parametrize("stack", ["s", "a-stack-with-a-long-name-for-its-schedule"])
def test_the_schedule_s_target_renders_to_a_valid_invoke_agent_runtime(stack: str) -> None:
    cfn = translate_sam(TEMPLATE, parameter_values={"AgentRuntimeArn": RUNTIME_ARN})
    target = cfn["Resources"]["ScheduledJob"]["Properties"]["Target"]
    rendered = target["Input"]["Fn::Sub"].replace("${AgentRuntimeArn}", RUNTIME_ARN)
    rendered = rendered.replace("${AgentRuntimeQualifier}", "DEFAULT").replace("${AWS::StackName}", stack)
    checked = validate_target(
        {**target, "Input": rendered, "RoleArn": "arn:aws:iam::1:role/r"}, sample_context("a")
    )
    payload = json.loads(checked.params["payload"])
    assert checked.operation == "InvokeAgentRuntime" and len(checked.params["runtimeSessionId"]) >= 33
    assert payload["mode"] == "async" and payload["idempotency_key"].startswith(f"schedule:{stack}:")
    # The trap the prefix avoids: "scheduled-" and a one-character stack name render to 32 characters.
    short = {**target, "Input": rendered.replace("scheduled-job-", "scheduled-"), "RoleArn": "r"}
    if len(stack) == 1:
        with pytest.raises(TargetInvalid, match="valid min length: 33"):
            validate_target(short, sample_context("a"))
