"""The SAM template: translated offline with aws-sam-translator, the output checked by cfn-lint."""

from __future__ import annotations

import re
from typing import Any

import pytest

from harness.templates import lint_template
from local_cloud.aws.cfn import load_template, translate_sam
from shared.apigw.settings import JOBS_TABLE_NAME
from shared.jobs.model import JOB_KEY_PREFIX
from shared.runtime.settings import DEFAULT_RUNTIME_READ_TIMEOUT
from tests.steps.step5.support import STEP5, lambda_proxy

TEMPLATE = STEP5 / "template.yaml"
RUNTIME_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/step4_dynamodb_sink-AbCd012345"


@pytest.fixture(autouse=True)
def _region(monkeypatch: pytest.MonkeyPatch) -> None:
    # The translator builds ARNs with the region of botocore's default session.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    return load_template(TEMPLATE)


def translated(sam: dict[str, Any], **parameters: str) -> dict[str, Any]:
    return translate_sam(sam, parameter_values={"AgentRuntimeArn": RUNTIME_ARN, **parameters})


def of_type(cfn: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in cfn["Resources"].items() if res["Type"] == kind}


def only(cfn: dict[str, Any], kind: str) -> dict[str, Any]:
    found = list(of_type(cfn, kind).values())
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]["Properties"]


def paths(cfn: dict[str, Any], condition_value: bool, path: str = "/calculate") -> dict[str, Any]:
    item = only(cfn, "AWS::ApiGateway::RestApi")["Body"]["paths"][path]
    if "Fn::If" in item:
        item = item["Fn::If"][1 if condition_value else 2]
    return item


def test_sam_source_passes_cfn_lint() -> None:
    assert lint_template(TEMPLATE) == []


@pytest.mark.parametrize("require_api_key", ["true", "false"])
@pytest.mark.parametrize("logging_role", ["true", "false"])
def test_translated_template_passes_cfn_lint(
    sam: dict[str, Any], require_api_key: str, logging_role: str
) -> None:
    cfn = translated(sam, RequireApiKey=require_api_key, CreateApiGatewayLoggingRole=logging_role)

    assert lint_template(cfn) == []


def test_function_runtime_architecture_and_timeouts(sam: dict[str, Any]) -> None:
    cfn = translated(sam)
    function = only(cfn, "AWS::Lambda::Function")
    major, minor = map(int, re.fullmatch(r"python(\d+)\.(\d+)", function["Runtime"]).groups())
    integration = paths(cfn, False)["post"]["x-amazon-apigateway-integration"]
    env = function["Environment"]["Variables"]

    assert (major, minor) >= (3, 12)
    assert function["Architectures"] == ["arm64"]
    assert integration["type"] == "aws_proxy"
    # connect + read < function timeout < API Gateway's integration timeout (29 s).
    connect, read = int(env["RUNTIME_CONNECT_TIMEOUT_SECONDS"]), int(env["RUNTIME_READ_TIMEOUT_SECONDS"])
    assert connect + read < function["Timeout"] < integration["timeoutInMillis"] / 1000 <= 29
    assert env["AGENT_RUNTIME_ARN"] == {"Ref": "AgentRuntimeArn"}
    assert read <= DEFAULT_RUNTIME_READ_TIMEOUT


def test_function_may_invoke_and_end_sessions_of_the_one_runtime_and_touch_job_records_only(
    sam: dict[str, Any],
) -> None:
    cfn = translated(sam)
    role_name = only(cfn, "AWS::Lambda::Function")["Role"]["Fn::GetAtt"][0]
    role = cfn["Resources"][role_name]["Properties"]
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]

    assert statements == [
        {
            "Effect": "Allow",
            "Action": "bedrock-agentcore:InvokeAgentRuntime",
            "Resource": [{"Ref": "AgentRuntimeArn"}, {"Fn::Sub": "${AgentRuntimeArn}/runtime-endpoint/*"}],
        },
        {
            # Sessions it opened for one request, a cancelled job's: of the same one runtime only.
            "Sid": "EndSessions",
            "Effect": "Allow",
            "Action": "bedrock-agentcore:StopRuntimeSession",
            "Resource": [{"Ref": "AgentRuntimeArn"}, {"Fn::Sub": "${AgentRuntimeArn}/runtime-endpoint/*"}],
        },
        {
            "Sid": "ReadJobRecords",
            "Effect": "Allow",
            "Action": "dynamodb:GetItem",
            "Resource": {"Fn::ImportValue": {"Fn::Sub": "${SinksStackName}-DynamoDbTableArn"}},
            # The proxy reads "job#<id>" items only, never the result items sharing the table.
            "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [JOB_KEY_PREFIX + "*"]}},
        },
        {
            # DELETE /jobs/{id}: the one conditional update that cancels, on job items only.
            "Sid": "CancelJobRecords",
            "Effect": "Allow",
            "Action": "dynamodb:UpdateItem",
            "Resource": {"Fn::ImportValue": {"Fn::Sub": "${SinksStackName}-DynamoDbTableArn"}},
            "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [JOB_KEY_PREFIX + "*"]}},
        },
    ]
    assert [arn.rsplit("/", 1)[-1] for arn in role["ManagedPolicyArns"]] == ["AWSLambdaBasicExecutionRole"]


def test_stage_throttling_and_access_logs(sam: dict[str, Any]) -> None:
    stage = only(translated(sam), "AWS::ApiGateway::Stage")

    assert stage["MethodSettings"][0]["ThrottlingRateLimit"] == {"Ref": "ThrottlingRateLimit"}
    assert stage["MethodSettings"][0]["ThrottlingBurstLimit"] == {"Ref": "ThrottlingBurstLimit"}
    assert stage["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["AccessLogGroup", "Arn"]}
    assert "$context.requestId" in stage["AccessLogSetting"]["Format"]


@pytest.mark.parametrize("key_required", [True, False])
def test_preflight_is_answered_by_api_gateway_and_api_key_is_optional(
    sam: dict[str, Any], key_required: bool
) -> None:
    cfn = translated(sam)
    item = paths(cfn, key_required)
    options = item["options"]["x-amazon-apigateway-integration"]
    headers = options["responses"]["default"]["responseParameters"]

    assert options["type"] == "mock"
    assert headers["method.response.header.Access-Control-Allow-Origin"] == {"Fn::Sub": "'${AllowedOrigin}'"}
    assert "X-Session-Id" in headers["method.response.header.Access-Control-Allow-Headers"]
    # A preflight carries no API key: it must never require one.
    assert "security" not in item["options"]
    assert ("security" in item["post"]) is key_required
    for name in ("ApiKey", "UsagePlan", "UsagePlanKey"):
        assert cfn["Resources"][name]["Condition"] == "ApiKeyRequired"


def test_outputs_give_the_invoke_url(sam: dict[str, Any]) -> None:
    outputs = translated(sam)["Outputs"]

    assert outputs["InvokeUrl"]["Value"]["Fn::Sub"].endswith("/${StageName}/calculate")
    assert outputs["InvokeUrl"]["Value"]["Fn::Sub"].startswith("https://${Api}.execute-api.")


def test_jobs_table_comes_from_the_sinks_stack(sam: dict[str, Any]) -> None:
    cfn = translated(sam)
    env = only(cfn, "AWS::Lambda::Function")["Environment"]["Variables"]

    assert env[JOBS_TABLE_NAME] == {"Fn::ImportValue": {"Fn::Sub": "${SinksStackName}-DynamoDbTableName"}}
    # The same export names infra/sinks.yaml declares.
    sinks = load_template(STEP5.parent / "infra" / "sinks.yaml")
    exports = {out["Export"]["Name"]["Fn::Sub"] for out in sinks["Outputs"].values() if "Export" in out}
    assert {"${AWS::StackName}-DynamoDbTableName", "${AWS::StackName}-DynamoDbTableArn"} <= exports
    assert sam["Parameters"]["SinksStackName"]["Default"] == "agentcore-lambda-sinks"


@pytest.mark.parametrize("key_required", [True, False])
@pytest.mark.parametrize(
    ("path", "method"), [("/jobs", "post"), ("/jobs/{id}", "get"), ("/jobs/{id}", "delete")]
)
def test_job_routes_are_proxied_like_calculate(
    sam: dict[str, Any], key_required: bool, path: str, method: str
) -> None:
    cfn = translated(sam)
    item = paths(cfn, key_required, path)
    integration = item[method]["x-amazon-apigateway-integration"]

    assert integration == paths(cfn, key_required)["post"]["x-amazon-apigateway-integration"]
    assert integration["type"] == "aws_proxy" and integration["timeoutInMillis"] == 29000
    assert ("security" in item[method]) is key_required
    assert item["options"]["x-amazon-apigateway-integration"]["type"] == "mock"
    assert "security" not in item["options"]
    methods = item["options"]["x-amazon-apigateway-integration"]["responses"]["default"][
        "responseParameters"
    ]["method.response.header.Access-Control-Allow-Methods"]
    assert method.upper() in methods
    if path == "/jobs/{id}":
        assert set(item) == {"get", "delete", "options"}
        assert item[method]["parameters"] == [
            {"name": "id", "in": "path", "required": True, "type": "string"}
        ]


def test_every_api_route_is_a_lambda_route_and_a_local_front_route(sam: dict[str, Any]) -> None:
    from commands.worlds import step5_routes
    from shared.apigw import routes

    events = sam["Resources"]["ProxyFunction"]["Properties"]["Events"].values()
    template_routes = {(e["Properties"]["Method"].upper(), e["Properties"]["Path"]) for e in events}
    # Each event also needs its Lambda permission, which SAM derives from the event.
    permissions = of_type(translated(sam), "AWS::Lambda::Permission")

    assert template_routes == set(step5_routes()) == set(routes(lambda_proxy.app))
    assert len(permissions) == len(template_routes)


def test_policy_checker_finds_nothing_to_narrow() -> None:
    from harness.templates import check_template

    assert check_template(translated(load_template(TEMPLATE))) == []


def test_outputs_give_the_jobs_url(sam: dict[str, Any]) -> None:
    outputs = translated(sam)["Outputs"]

    assert outputs["JobsUrl"]["Value"]["Fn::Sub"].endswith("/${StageName}/jobs")


def test_callers_are_api_keys_when_keys_are_required(sam: dict[str, Any]) -> None:
    cfn = translated(sam)
    env = only(cfn, "AWS::Lambda::Function")["Environment"]["Variables"]

    # CloudFormation picks the branch: each API key one caller, or every caller one tenant.
    assert env["CALLER_IDENTITY"] == {"Fn::If": ["ApiKeyRequired", "api_key", "none"]}
    assert cfn["Conditions"]["ApiKeyRequired"] == {"Fn::Equals": [{"Ref": "RequireApiKey"}, "true"]}


def test_session_secret_is_generated_and_resolved_never_a_parameter(sam: dict[str, Any]) -> None:
    cfn = translated(sam)
    env = only(cfn, "AWS::Lambda::Function")["Environment"]["Variables"]
    secret = only(cfn, "AWS::SecretsManager::Secret")

    assert env["SESSION_ID_SECRET"] == {
        "Fn::Sub": "{{resolve:secretsmanager:${SessionIdSecret}:SecretString}}"
    }
    assert secret["GenerateSecretString"]["PasswordLength"] >= 32
    assert not any("secret" in name.lower() for name in sam["Parameters"])


def test_max_lifetime_is_one_setting_for_both_sides(sam: dict[str, Any]) -> None:
    from shared.core.settings import DEFAULT_MAX_LIFETIME_SECONDS
    from shared.jobs.settings import RUNTIME_MAX_LIFETIME_SECONDS

    env = only(translated(sam), "AWS::Lambda::Function")["Environment"]["Variables"]
    parameter = sam["Parameters"]["RuntimeMaxLifetimeSeconds"]

    assert env[RUNTIME_MAX_LIFETIME_SECONDS] == {"Ref": "RuntimeMaxLifetimeSeconds"}
    assert parameter["Default"] == DEFAULT_MAX_LIFETIME_SECONDS
    assert (parameter["MinValue"], parameter["MaxValue"]) == (60, 1_209_600)


def test_cors_preflight_allows_delete_on_a_job(sam: dict[str, Any]) -> None:
    item = paths(translated(sam), False, "/jobs/{id}")
    methods = item["options"]["x-amazon-apigateway-integration"]["responses"]["default"][
        "responseParameters"
    ]["method.response.header.Access-Control-Allow-Methods"]

    assert "DELETE" in methods and "GET" in methods
