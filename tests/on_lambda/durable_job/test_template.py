"""The durable job's template, checked offline: cfn-lint on it and on its SAM translation, least privilege,
and what a durable function needs (python3.13+ on arm64, DurableConfig, an alias, the durable role policy)."""

from __future__ import annotations

import re
from importlib.metadata import version
from typing import Any

import pytest

from commands.worlds import DURABLE_JOB
from harness.templates import check_template, lint_template
from local_cloud.aws.cfn import load_template, translate_sam
from shared.durable.settings import DEFAULT_EXECUTION_TIMEOUT_SECONDS, MAX_EXECUTION_TIMEOUT_SECONDS
from tests.on_lambda.durable_job.helpers import PAYLOAD, job_module

TEMPLATE = DURABLE_JOB / "template.yaml"


@pytest.fixture(scope="module")
def translated() -> dict[str, Any]:
    """The template as CloudFormation receives it (SAM translated, us-east-1)."""
    return translate_sam(TEMPLATE, region="us-east-1")


def _of_type(template: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = [r for r in template["Resources"].values() if r["Type"] == kind]
    return dict(found["Properties"])


def test_cfn_lint_finds_nothing() -> None:
    assert lint_template(TEMPLATE) == []


def test_least_privilege(translated: dict[str, Any]) -> None:
    assert check_template(translated) == []
    role = _of_type(translated, "AWS::IAM::Role")
    # SAM attaches the durable role policy (logs, CheckpointDurableExecution, GetDurableExecutionState)...
    assert role["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicDurableExecutionRolePolicy"
    ]
    # ... and the one table gets one action, never on step 4's job records.
    (policy,) = role["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "dynamodb:PutItem"
    assert statement["Resource"] == {"Fn::ImportValue": {"Fn::Sub": "${SinksStackName}-DynamoDbTableArn"}}
    assert statement["Condition"] == {"ForAllValues:StringNotLike": {"dynamodb:LeadingKeys": ["job#*"]}}


def test_a_durable_function_on_python_3_13_or_newer_arm64_invoked_through_an_alias(
    translated: dict[str, Any],
) -> None:
    function = _of_type(translated, "AWS::Lambda::Function")
    runtime = re.fullmatch(r"python3\.(\d+)", function["Runtime"])
    assert runtime and int(runtime.group(1)) >= 13
    assert function["Architectures"] == ["arm64"] and function["Handler"] == "handler.handler"
    assert function["DurableConfig"] == {
        "ExecutionTimeout": {"Ref": "ExecutionTimeoutSeconds"},
        "RetentionPeriodInDays": {"Ref": "RetentionPeriodInDays"},
    }
    # The handler bounds delay_seconds by the same value.
    variables = function["Environment"]["Variables"]
    assert variables["DURABLE_EXECUTION_TIMEOUT_SECONDS"] == {"Ref": "ExecutionTimeoutSeconds"}
    assert set(variables) == {"DYNAMODB_TABLE_NAME", "TTL_DAYS", "DURABLE_EXECUTION_TIMEOUT_SECONDS"}
    assert _of_type(translated, "AWS::Lambda::Alias")["Name"] == "live"
    assert translated["Outputs"]["AliasArn"]["Value"] == {"Ref": "DurableJobFunctionAliaslive"}


def test_the_execution_timeout_covers_the_longest_job_it_accepts() -> None:
    parameters = load_template(TEMPLATE)["Parameters"]
    timeout = parameters["ExecutionTimeoutSeconds"]
    assert timeout["Default"] == DEFAULT_EXECUTION_TIMEOUT_SECONDS
    assert timeout["MaxValue"] == MAX_EXECUTION_TIMEOUT_SECONDS
    # The README's 20-minute job fits the default with the margin the handler keeps for its steps.
    assert PAYLOAD["delay_seconds"] + job_module().MARGIN_SECONDS <= timeout["Default"]
    retention = parameters["RetentionPeriodInDays"]
    assert (retention["Default"], retention["MinValue"], retention["MaxValue"]) == (14, 1, 90)


def test_requirements_pin_what_the_tests_ran() -> None:
    pins = dict(
        line.split("==")
        for line in (DURABLE_JOB / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert pins["aws-durable-execution-sdk-python"] == version("aws-durable-execution-sdk-python")
    assert set(pins) == {"aws-durable-execution-sdk-python", "boto3"}
    # The SDK's own floor (3.0.0: boto3>=1.43.114).
    assert tuple(map(int, pins["boto3"].split("."))) >= (1, 43, 114)
