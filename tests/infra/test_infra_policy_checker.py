"""The least-privilege and encryption checker: clean on our templates, loud on deliberate mistakes."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from harness.templates import (
    TYPE_WILDCARD_ALLOWED,
    WILDCARD_RESOURCE_ALLOWED,
    check_template,
    check_template_file,
)
from local_cloud.aws.cfn import load_template, resolve
from tests.infra.helpers import FIXTURES, INFRA, TEMPLATES

QUEUE_ARN = {"Fn::GetAtt": ["Queue", "Arn"]}


def role(*statements: dict[str, Any], managed: list[str] | None = None) -> dict[str, Any]:
    """A template with one role holding the given Allow statements."""
    props: dict[str, Any] = {
        "AssumeRolePolicyDocument": {"Statement": []},
        "Policies": [{"PolicyName": "P", "PolicyDocument": {"Statement": list(statements)}}],
    }
    if managed is not None:
        props["ManagedPolicyArns"] = managed
    return {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": props}}}


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Sid": "S", "Effect": "Allow", "Action": action, "Resource": resource, **extra}


GOOD_BUCKET: dict[str, Any] = {
    "Resources": {
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
                    ]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
            },
        },
        "BucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "Bucket"},
                "PolicyDocument": {
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [{"Fn::Sub": "${Bucket.Arn}/*"}],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ]
                },
            },
        },
    }
}


def bucket_without(*path: str) -> dict[str, Any]:
    """GOOD_BUCKET with one property (or the policy resource) removed."""
    template = copy.deepcopy(GOOD_BUCKET)
    node = template["Resources"]
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return template


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_our_templates_pass_the_checker(template) -> None:
    assert check_template_file(template) == []


def test_translated_sam_template_is_checked() -> None:
    assert check_template_file(FIXTURES / "sam_good.yaml") == []
    findings = check_template_file(FIXTURES / "sam_bad.yaml")
    assert findings == [
        "SumFunctionRole policy SumFunctionRolePolicy0 statement <no Sid>: wildcard action 's3:*' "
        "(name each action the code calls)"
    ]


def test_untranslated_sam_is_refused() -> None:
    with pytest.raises(ValueError, match="translate SAM templates first"):
        check_template(load_template(FIXTURES / "sam_good.yaml"))


@pytest.mark.parametrize(
    "statement",
    [
        allow("sqs:SendMessage", QUEUE_ARN),
        allow(["s3:PutObject"], {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/results/*"}),
        allow("ecr:GetAuthorizationToken", "*"),
        allow(["xray:PutTraceSegments", "xray:GetSamplingRules"], ["*"]),
        allow(
            "cloudwatch:PutMetricData",
            "*",
            Condition={"StringEquals": {"cloudwatch:namespace": "bedrock-agentcore"}},
        ),
        allow(
            "logs:DescribeLogGroups", {"Fn::Sub": "arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"}
        ),
        allow("logs:PutLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/x/y-*:log-stream:*"),
        {"Effect": "Deny", "Action": "*", "Resource": "*"},
    ],
    ids=[
        "named-queue",
        "s3-prefix",
        "ecr-token",
        "xray",
        "metrics-namespace",
        "describe-log-groups",
        "prefixed-log-group",
        "deny-anything",
    ],
)
def test_allowed_statements_pass(statement) -> None:
    assert check_template(role(statement)) == []


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (allow("s3:*", "arn:aws:s3:::bucket/results/*"), r"wildcard action 's3:\*'"),
        (allow("*", QUEUE_ARN), r"wildcard action '\*'"),
        (allow("dynamodb:Put*", QUEUE_ARN), r"wildcard action 'dynamodb:Put\*'"),
        (allow("sqs:SendMessage", "*"), r"sqs:SendMessage on wildcard resource '\*' \(all\)"),
        (
            allow(
                "dynamodb:PutItem", {"Fn::Sub": "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*"}
            ),
            r"dynamodb:PutItem on wildcard resource 'arn:aws:dynamodb:<ref>:<ref>:table/\*' \(type\)",
        ),
        (allow("sqs:SendMessage", "arn:aws:sqs:*:123456789012:results"), r"\(scope\)"),
        (
            allow("s3:PutObject", "arn:aws:s3:::*/results/*"),
            r"s3:PutObject on wildcard resource .* \(scope\)",
        ),
        (allow("cloudwatch:PutMetricData", "*"), "without a condition on cloudwatch:namespace"),
        (
            allow("logs:CreateLogGroup", "arn:aws:logs:us-east-1:1:log-group:*"),
            r"logs:CreateLogGroup on .*\(type\)",
        ),
        (
            allow("sqs:SendMessage", {"Fn::If": ["C", QUEUE_ARN, "*"]}),
            r"sqs:SendMessage on wildcard resource '\*'",
        ),
        (
            {"Sid": "S", "Effect": "Allow", "NotAction": "iam:*", "Resource": QUEUE_ARN},
            "Allow with NotAction",
        ),
        (
            {"Sid": "S", "Effect": "Allow", "Action": "sqs:SendMessage", "NotResource": QUEUE_ARN},
            "NotResource",
        ),
        (allow({"Ref": "SomeAction"}, QUEUE_ARN), "not a literal string"),
    ],
    ids=[
        "service-wildcard",
        "star-action",
        "prefix-action",
        "star-resource",
        "type-wildcard",
        "wildcard-region",
        "wildcard-bucket",
        "metrics-without-namespace",
        "type-wildcard-not-allowed",
        "wildcard-in-if-branch",
        "not-action",
        "not-resource",
        "non-literal-action",
    ],
)
def test_wildcards_outside_the_allow_list_fail_with_a_reason(statement, expected) -> None:
    findings = check_template(role(statement))
    assert len(findings) == 1, findings
    assert findings[0].startswith("Role policy P statement S: ")
    assert re.search(expected, findings[0]), findings[0]


def test_every_allow_list_entry_has_a_reason() -> None:
    for reasons in (WILDCARD_RESOURCE_ALLOWED, TYPE_WILDCARD_ALLOWED):
        assert reasons and all(len(reason) > 20 for reason in reasons.values())


@pytest.mark.parametrize(
    ("managed", "expected"),
    [
        (["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"], []),
        (
            [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"}],
            ["Role: managed policy 'arn:<ref>:iam::aws:policy/AdministratorAccess' is not in the allow-list"],
        ),
    ],
)
def test_managed_policies_outside_the_allow_list_fail(managed, expected) -> None:
    assert check_template(role(allow("sqs:SendMessage", QUEUE_ARN), managed=managed)) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (GOOD_BUCKET, None),
        (
            bucket_without("Bucket", "Properties", "PublicAccessBlockConfiguration"),
            "without a full public access block",
        ),
        (
            bucket_without("Bucket", "Properties", "PublicAccessBlockConfiguration", "RestrictPublicBuckets"),
            r"public access block \(missing RestrictPublicBuckets\)",
        ),
        (bucket_without("Bucket", "Properties", "BucketEncryption"), "without default encryption"),
        (bucket_without("BucketPolicy"), "without a bucket policy denying aws:SecureTransport false"),
        (
            bucket_without("BucketPolicy", "Properties", "PolicyDocument", "Statement", 0, "Condition"),
            "without a bucket policy denying aws:SecureTransport false",
        ),
    ],
    ids=[
        "good",
        "no-public-access-block",
        "partial-block",
        "no-encryption",
        "no-policy",
        "policy-without-tls",
    ],
)
def test_bucket_checks(template, expected) -> None:
    findings = check_template(template)
    if expected is None:
        assert findings == []
    else:
        assert len(findings) == 1, findings
        assert findings[0].startswith("Bucket: ")
        assert re.search(expected, findings[0])


def test_public_bucket_policy_fails() -> None:
    template = copy.deepcopy(GOOD_BUCKET)
    template["Resources"]["BucketPolicy"]["Properties"]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    )
    assert check_template(template) == [
        "BucketPolicy: Allow to every principal ('*') makes the resource public"
    ]


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ({"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": True}}, []),
        ({"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": "alias/aws/sqs"}}, []),
        ({"Type": "AWS::SQS::Queue", "Properties": {}}, ["R: queue without encryption"]),
        (
            {"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": False}},
            ["R: queue without encryption"],
        ),
        ({"Type": "AWS::DynamoDB::Table", "Properties": {"SSESpecification": {"SSEEnabled": True}}}, []),
        ({"Type": "AWS::DynamoDB::Table", "Properties": {}}, ["R: table without SSESpecification"]),
        (
            {"Type": "AWS::DynamoDB::Table", "Properties": {"SSESpecification": {"SSEEnabled": False}}},
            ["R: table without SSESpecification"],
        ),
    ],
)
def test_queues_and_tables_need_encryption(resource, expected) -> None:
    findings = check_template({"Resources": {"R": resource}})
    assert [f.split(" (")[0].split(".SSEEnabled")[0] for f in findings] == expected


def test_every_star_resource_in_the_roles_template_is_commented() -> None:
    # The rule of the issue: a "*" resource only where AWS requires it, and each such case commented.
    lines = (INFRA / "roles.yaml").read_text().splitlines()
    stars = [i for i, line in enumerate(lines) if re.fullmatch(r'\s*Resource: "\*"', line)]
    assert stars, "the roles template should contain the documented '*' cases"
    for index in stars:
        start = max(i for i in range(index) if lines[i].lstrip().startswith("- Sid:"))
        comment = lines[start - 1].strip()
        assert comment.startswith("#") and "required" in comment, (index + 1, comment)


def test_the_four_roles_share_one_agentcore_runtime_policy() -> None:
    resources = load_template(INFRA / "roles.yaml")["Resources"]
    copies = []
    for step in (1, 2, 3, 4):
        policies = resources[f"Step{step}RuntimeRole"]["Properties"]["Policies"]
        (runtime,) = [p for p in policies if p["PolicyName"] == "AgentCoreRuntime"]
        copies.append(json.dumps(runtime).replace(f"Step{step}AgentName", "StepAgentName"))
    assert len(set(copies)) == 1


def test_resolve_fills_refs_attributes_and_sub() -> None:
    refs = {"AWS::Partition": "aws", "Bucket": "b-1", "Prefix": "p"}
    attrs = {"Bucket.Arn": "arn:aws:s3:::b-1"}
    value = {
        "Bucket": {"Ref": "Bucket"},
        "Resources": [
            {"Fn::GetAtt": ["Bucket", "Arn"]},
            {"Fn::Sub": "${Bucket.Arn}/*"},
            {"Fn::Sub": ["arn:${AWS::Partition}:s3:::${Name}/${Prefix}/*", {"Name": {"Ref": "Bucket"}}]},
        ],
        "Literal": True,
    }
    assert resolve(value, refs, attrs) == {
        "Bucket": "b-1",
        "Resources": ["arn:aws:s3:::b-1", "arn:aws:s3:::b-1/*", "arn:aws:s3:::b-1/p/*"],
        "Literal": True,
    }
    with pytest.raises(KeyError):
        resolve({"Ref": "Unknown"}, refs, attrs)
