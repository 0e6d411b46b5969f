"""CloudFormation and SAM templates checked offline: cfn-lint, and our least-privilege checks.

Nothing here reaches the network: cfn-lint ships its resource specs, aws-sam-translator is given its
bundled managed-policy map and an explicit region.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from local_cloud.aws.cfn import SUB_VARIABLE, is_sam, load_template, translate_sam

DEFAULT_LINT_REGION = "us-east-1"

# Actions AWS authorizes only on "*" (no resource-level permissions), each with the reason.
WILDCARD_RESOURCE_ALLOWED: dict[str, str] = {
    "ecr:GetAuthorizationToken": "ECR authorization tokens are account-wide; the action has no resource type",
    "xray:PutTraceSegments": "X-Ray trace writes have no resource-level permissions",
    "xray:PutTelemetryRecords": "X-Ray telemetry writes have no resource-level permissions",
    "xray:GetSamplingRules": "X-Ray sampling reads have no resource-level permissions",
    "xray:GetSamplingTargets": "X-Ray sampling reads have no resource-level permissions",
    "cloudwatch:PutMetricData": "PutMetricData has no resource type; the statement must pin the namespace",
}
# Actions whose "all resources of a type" ARN (e.g. log-group:*) is what AWS authorizes, with the reason.
TYPE_WILDCARD_ALLOWED: dict[str, str] = {
    "logs:DescribeLogGroups": "DescribeLogGroups lists groups, so it is authorized on log-group:*",
}
# A wildcard resource for these actions is only accepted together with a condition on this key.
REQUIRED_CONDITION_KEYS: dict[str, str] = {"cloudwatch:PutMetricData": "cloudwatch:namespace"}
# AWS managed policies a template may attach, with the reason (anything else cannot be checked here).
MANAGED_POLICIES_ALLOWED: dict[str, str] = {
    "service-role/AWSLambdaBasicExecutionRole": "CloudWatch Logs writes only (Lambda's documented minimum)",
    "service-role/AWSLambdaBasicDurableExecutionRolePolicy": (
        "a durable function's documented role policy, which SAM attaches for DurableConfig: CloudWatch Logs "
        "writes and lambda:CheckpointDurableExecution/GetDurableExecutionState, the two APIs the SDK calls "
        "(on '*': the durable-security page shows how to scope them to the function with a role of your own)"
    ),
    "service-role/AmazonAPIGatewayPushToCloudWatchLogs": (
        "API Gateway's documented role for account-level CloudWatch logging (logs only; step 5, optional)"
    ),
}

_POLICY_HOLDERS = {
    "AWS::IAM::Role": "Policies",
    "AWS::IAM::Policy": "PolicyDocument",
    "AWS::IAM::ManagedPolicy": "PolicyDocument",
    "AWS::IAM::RolePolicy": "PolicyDocument",
    "AWS::IAM::UserPolicy": "PolicyDocument",
    "AWS::IAM::GroupPolicy": "PolicyDocument",
}
_RESOURCE_POLICIES = {
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
}
_PUBLIC_ACCESS_BLOCK_FLAGS = (
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
)


def _format_matches(matches: Iterable[Any], label: str) -> list[str]:
    return [f"{m.rule.id} {m.message} ({label}:{m.linenumber})" for m in matches]


def lint_template(
    source: str | Path | Mapping[str, Any],
    regions: Iterable[str] = (DEFAULT_LINT_REGION,),
    ignore_checks: Iterable[str] = (),
) -> list[str]:
    """Run cfn-lint on a template file (and on its SAM translation) or on a loaded template."""
    from cfnlint.api import ManualArgs, lint, lint_file

    config = ManualArgs(regions=list(regions), ignore_checks=list(ignore_checks))
    if isinstance(source, Mapping):
        return _format_matches(lint(json.dumps(source, indent=1), config=config), "template")
    path = Path(source)
    findings = _format_matches(lint_file(path, config=config), str(path))
    if not findings and is_sam(load_template(path)):
        translated = translate_sam(path, region=next(iter(regions), DEFAULT_LINT_REGION))
        findings += _format_matches(
            lint(json.dumps(translated, indent=1), config=config), f"{path} after aws-sam-translator"
        )
    return findings


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _render(value: Any) -> list[str]:
    """Render a resource expression to the strings it may take; references become `<ref>`."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Fn::Sub":
            text = arg[0] if isinstance(arg, list) else arg
            return [SUB_VARIABLE.sub("<ref>", text)] if isinstance(text, str) else ["<unknown>"]
        if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
            return _render(arg[1]) + _render(arg[2])
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
            parts = [_render(part)[0] for part in arg[1]]
            return [str(arg[0]).join(parts)]
        if fn in ("Ref", "Fn::GetAtt", "Fn::ImportValue", "Fn::Select", "Fn::FindInMap"):
            return ["<ref>"]
    return ["<unknown>"]


def _wildcard_kind(resource: str) -> str | None:
    """Return 'all' for "*", 'type' for every resource of a type (table/*), 'scope' for a wildcard
    account, region or bucket, or None for a resource narrowed by name."""
    if resource == "*":
        return "all"
    parts = resource.split(":", 5)
    if len(parts) < 6 or not resource.startswith("arn:"):
        return None
    _, _, service, region, account, rest = parts
    if "*" in region or "*" in account:
        return "scope"
    if service == "s3":
        bucket = rest.split("/", 1)[0]
        return "scope" if "*" in bucket else None
    if re.fullmatch(r"([A-Za-z0-9_-]+[:/])?\*", rest):
        return "type"
    return None


def _statements(document: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(document, dict):
        return
    for statement in _as_list(document.get("Statement", [])):
        if isinstance(statement, dict):
            yield statement


def _check_identity_statement(where: str, statement: dict[str, Any]) -> list[str]:
    """Findings for one Allow statement of an identity policy."""
    if statement.get("Effect") != "Allow":
        return []
    sid = statement.get("Sid", "<no Sid>")
    label = f"{where} statement {sid}"
    findings = []
    for key in ("NotAction", "NotResource"):
        if key in statement:
            findings.append(f"{label}: Allow with {key} grants everything not listed (not allowed)")
    actions = _as_list(statement.get("Action", []))
    for action in actions:
        if not isinstance(action, str):
            findings.append(f"{label}: action {action!r} is not a literal string and cannot be checked")
        elif "*" in action:
            findings.append(f"{label}: wildcard action {action!r} (name each action the code calls)")
    resources = [text for value in _as_list(statement.get("Resource", [])) for text in _render(value)]
    conditions = statement.get("Condition", {})
    condition_keys = {key for block in conditions.values() if isinstance(block, dict) for key in block}
    for resource in resources:
        kind = _wildcard_kind(resource)
        if kind is None:
            continue
        for action in (a for a in actions if isinstance(a, str) and "*" not in a):
            if kind == "all" and action in WILDCARD_RESOURCE_ALLOWED:
                needed = REQUIRED_CONDITION_KEYS.get(action)
                if needed and needed not in condition_keys:
                    findings.append(f"{label}: {action} on '*' without a condition on {needed}")
            elif kind == "type" and action in TYPE_WILDCARD_ALLOWED:
                continue
            else:
                findings.append(
                    f"{label}: {action} on wildcard resource {resource!r} ({kind}); "
                    "not in the allow-list of actions AWS only authorizes that way"
                )
    return findings


def _check_resource_policy(where: str, document: Any) -> list[str]:
    findings = []
    for statement in _statements(document):
        principal = statement.get("Principal")
        public = principal == "*" or (
            isinstance(principal, dict) and "*" in _as_list(principal.get("AWS", []))
        )
        if statement.get("Effect") == "Allow" and public:
            findings.append(f"{where}: Allow to every principal ('*') makes the resource public")
    return findings


def _denies_insecure_transport(document: Any) -> bool:
    for statement in _statements(document):
        bool_conditions = statement.get("Condition", {}).get("Bool", {})
        if (
            statement.get("Effect") == "Deny"
            and str(bool_conditions.get("aws:SecureTransport")).lower() == "false"
        ):
            return True
    return False


def _refers_to(value: Any, logical_id: str) -> bool:
    if isinstance(value, dict):
        if value.get("Ref") == logical_id:
            return True
        return any(_refers_to(item, logical_id) for item in value.values())
    if isinstance(value, list):
        return any(_refers_to(item, logical_id) for item in value)
    return False


def _check_bucket(logical_id: str, props: Mapping[str, Any], resources: Mapping[str, Any]) -> list[str]:
    findings = []
    block = props.get("PublicAccessBlockConfiguration", {})
    missing = [flag for flag in _PUBLIC_ACCESS_BLOCK_FLAGS if block.get(flag) not in (True, "true")]
    if missing:
        findings.append(
            f"{logical_id}: bucket without a full public access block (missing {', '.join(missing)})"
        )
    rules = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
    if not any(rule.get("ServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for rule in rules):
        findings.append(f"{logical_id}: bucket without default encryption (BucketEncryption)")
    policies = [
        res.get("Properties", {})
        for res in resources.values()
        if res.get("Type") == "AWS::S3::BucketPolicy"
        and _refers_to(res.get("Properties", {}).get("Bucket"), logical_id)
    ]
    if not any(_denies_insecure_transport(policy.get("PolicyDocument")) for policy in policies):
        findings.append(f"{logical_id}: bucket without a bucket policy denying aws:SecureTransport false")
    return findings


def _queue_encrypted(props: Mapping[str, Any]) -> bool:
    return props.get("SqsManagedSseEnabled") in (True, "true") or bool(props.get("KmsMasterKeyId"))


def _table_encrypted(props: Mapping[str, Any]) -> bool:
    return props.get("SSESpecification", {}).get("SSEEnabled") in (True, "true")


def check_template(template: Mapping[str, Any]) -> list[str]:
    """Return least-privilege and encryption findings for a plain CloudFormation template, with reasons."""
    if is_sam(template):
        raise ValueError("translate SAM templates first (translate_sam), then check the CloudFormation")
    resources: Mapping[str, Any] = template.get("Resources", {})
    findings: list[str] = []
    for logical_id, resource in resources.items():
        kind = resource.get("Type", "")
        props = resource.get("Properties", {}) or {}
        if kind in _POLICY_HOLDERS:
            key = _POLICY_HOLDERS[kind]
            documents = (
                [
                    (f"{logical_id} policy {p.get('PolicyName', '?')}", p.get("PolicyDocument"))
                    for p in props.get(key, [])
                ]
                if key == "Policies"
                else [(logical_id, props.get(key))]
            )
            for where, document in documents:
                for statement in _statements(document):
                    findings += _check_identity_statement(where, statement)
            for arn in props.get("ManagedPolicyArns", []):
                rendered = _render(arn)[0]
                name = rendered.split(":policy/", 1)[-1]
                if name not in MANAGED_POLICIES_ALLOWED:
                    findings.append(f"{logical_id}: managed policy {rendered!r} is not in the allow-list")
        elif kind in _RESOURCE_POLICIES:
            findings += _check_resource_policy(logical_id, props.get(_RESOURCE_POLICIES[kind]))
        elif kind == "AWS::S3::Bucket":
            findings += _check_bucket(logical_id, props, resources)
        elif kind == "AWS::SQS::Queue" and not _queue_encrypted(props):
            findings.append(
                f"{logical_id}: queue without encryption (SqsManagedSseEnabled or KmsMasterKeyId)"
            )
        elif kind == "AWS::DynamoDB::Table" and not _table_encrypted(props):
            findings.append(f"{logical_id}: table without SSESpecification.SSEEnabled true")
    return findings


def check_template_file(path: str | Path) -> list[str]:
    """Check a template file, translating SAM first."""
    return check_template(translate_sam(path))
