"""The templates deploy into moto with CloudFormation, and the emulator's sinks come from them."""

from __future__ import annotations

import ast
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from commands.worlds import SINKS_TEMPLATE, create_sinks
from local_cloud.aws import EmbeddedAws
from local_cloud.aws.cfn import load_template
from shared.core.records import SumRecord
from shared.sinks.writers import SqsWriter
from tests.infra.helpers import INFRA

ROLES_TEMPLATE = INFRA / "roles.yaml"
AGENTCORE_ACTIONS = {
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:GetAuthorizationToken",
    "logs:CreateLogGroup",
    "logs:DescribeLogStreams",
    "logs:DescribeLogGroups",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "cloudwatch:PutMetricData",
    "bedrock-agentcore:GetWorkloadAccessToken",
    "bedrock-agentcore:GetWorkloadAccessTokenForJWT",
    "bedrock-agentcore:GetWorkloadAccessTokenForUserId",
}


def unique(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def policy_document(raw: Any) -> dict[str, Any]:
    """A role policy as moto returns it: JSON, or (from CloudFormation) the repr of a dict."""
    if isinstance(raw, dict):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return ast.literal_eval(raw)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_grants(aws: EmbeddedAws, role_arn: str) -> dict[str, dict[str, Any]]:
    """Map each allowed action of a role's inline policies to its resources and conditions."""
    iam = aws.client("iam")
    name = role_arn.rsplit("/", 1)[-1]
    grants: dict[str, dict[str, Any]] = {}
    for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        raw = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
        for statement in as_list(policy_document(raw)["Statement"]):
            assert statement["Effect"] == "Allow"
            for action in as_list(statement["Action"]):
                assert action not in grants, f"{action} granted twice"
                grants[action] = {
                    "resources": sorted(as_list(statement["Resource"])),
                    "condition": statement.get("Condition"),
                }
    return grants


def deploy_sinks(aws: EmbeddedAws, prefix: str) -> tuple[str, dict[str, str]]:
    stack = f"{prefix}-sinks"
    return stack, aws.deploy_stack(stack, SINKS_TEMPLATE, {"ResourcePrefix": prefix})


def deploy_roles(aws: EmbeddedAws, sinks_stack: str, fifo: bool) -> dict[str, str]:
    return aws.deploy_stack(
        f"{sinks_stack}-roles",
        ROLES_TEMPLATE,
        {"SinksStackName": sinks_stack, "UseFifoQueue": str(fifo).lower()},
        capabilities=("CAPABILITY_IAM",),
    )


def test_sinks_stack_creates_the_queues_bucket_and_table(module_aws) -> None:
    prefix = unique()
    _, outputs = deploy_sinks(module_aws, prefix)
    account = "123456789012"  # moto's default account

    assert outputs["S3BucketName"] == f"{prefix}-results-{account}-us-east-1"
    assert outputs["DynamoDbTableName"] == f"{prefix}-results"
    assert outputs["S3Prefix"] == "agentcore-results"

    sqs = module_aws.client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=outputs["SqsQueueUrl"], AttributeNames=["All"])["Attributes"]
    assert attrs["QueueArn"] == outputs["SqsQueueArn"] == f"arn:aws:sqs:us-east-1:{account}:{prefix}-results"
    assert attrs["SqsManagedSseEnabled"] == "true"
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive == {
        "deadLetterTargetArn": f"arn:aws:sqs:us-east-1:{account}:{prefix}-results-dlq",
        "maxReceiveCount": 5,
    }
    dlq = sqs.get_queue_attributes(QueueUrl=outputs["SqsDeadLetterQueueUrl"], AttributeNames=["All"])[
        "Attributes"
    ]
    assert dlq["SqsManagedSseEnabled"] == "true"
    assert dlq["MessageRetentionPeriod"] == "1209600"

    queue_names = {url.rsplit("/", 1)[-1] for url in sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"]}
    fifo_attrs = sqs.get_queue_attributes(QueueUrl=outputs["SqsFifoQueueUrl"], AttributeNames=["All"])
    fifo_attrs = fifo_attrs["Attributes"]
    assert fifo_attrs["QueueArn"] == outputs["SqsFifoQueueArn"]
    assert fifo_attrs["FifoQueue"] == "true"
    assert fifo_attrs["ContentBasedDeduplication"] == "false"
    assert fifo_attrs["SqsManagedSseEnabled"] == "true"
    fifo_redrive = json.loads(fifo_attrs["RedrivePolicy"])
    assert fifo_redrive["deadLetterTargetArn"] == f"arn:aws:sqs:us-east-1:{account}:{prefix}-results-dlq.fifo"
    assert queue_names == {
        f"{prefix}-results",
        f"{prefix}-results-dlq",
        f"{prefix}-results.fifo",
        f"{prefix}-results-dlq.fifo",
    }

    s3 = module_aws.client("s3")
    encryption = s3.get_bucket_encryption(Bucket=outputs["S3BucketName"])["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    table = module_aws.client("dynamodb").describe_table(TableName=outputs["DynamoDbTableName"])["Table"]
    assert table["TableArn"] == outputs["DynamoDbTableArn"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"

    exports = {e["Name"]: e["Value"] for e in module_aws.client("cloudformation").list_exports()["Exports"]}
    assert exports[f"{prefix}-sinks-DynamoDbTableArn"] == outputs["DynamoDbTableArn"]


@pytest.mark.parametrize("fifo", [False, True], ids=["standard-queue", "fifo-queue"])
def test_roles_stack_grants_each_step_exactly_its_one_write(module_aws, fifo) -> None:
    prefix = unique()
    stack, sinks = deploy_sinks(module_aws, prefix)
    outputs = deploy_roles(module_aws, stack, fifo)
    account, region = "123456789012", "us-east-1"
    queue = "SqsFifoQueue" if fifo else "SqsQueue"

    # The outputs carry each step's environment values.
    assert outputs["Step2SqsQueueUrl"] == sinks[f"{queue}Url"]
    assert outputs["Step3S3BucketName"] == sinks["S3BucketName"]
    assert outputs["Step3S3Prefix"] == sinks["S3Prefix"]
    assert outputs["Step4DynamoDbTableName"] == sinks["DynamoDbTableName"]

    expected_writes = {
        1: {},
        2: {"sqs:SendMessage": [sinks[f"{queue}Arn"]]},
        3: {"s3:PutObject": [f"arn:aws:s3:::{sinks['S3BucketName']}/agentcore-results/*"]},
        4: {
            "dynamodb:PutItem": [sinks["DynamoDbTableArn"]],
            # Async jobs: reads and state updates of job records only ("job#<id>" keys).
            "dynamodb:GetItem": [sinks["DynamoDbTableArn"]],
            "dynamodb:UpdateItem": [sinks["DynamoDbTableArn"]],
            # A finished or cancelled job ends its own session: this runtime's sessions only.
            "bedrock-agentcore:StopRuntimeSession": [
                f"arn:aws:bedrock-agentcore:{region}:{account}:runtime/step4_dynamodb_sink-*",
                f"arn:aws:bedrock-agentcore:{region}:{account}:runtime/step4_dynamodb_sink-*/runtime-endpoint/*",
            ],
        },
    }
    job_keys_only = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["job#*"]}}
    conditions = {"dynamodb:GetItem": job_keys_only, "dynamodb:UpdateItem": job_keys_only}
    agent_names = {1: "step1_compute", 2: "step2_sqs_sink", 3: "step3_s3_sink", 4: "step4_dynamodb_sink"}
    iam = module_aws.client("iam")
    for step, writes in expected_writes.items():
        arn = outputs[f"Step{step}RoleArn"]
        grants = role_grants(module_aws, arn)
        assert set(grants) == AGENTCORE_ACTIONS | set(writes), f"step {step}"
        for action, resources in writes.items():
            assert grants[action] == {"resources": resources, "condition": conditions.get(action)}

        agent = agent_names[step]
        assert grants["ecr:BatchGetImage"]["resources"] == [
            f"arn:aws:ecr:{region}:{account}:repository/bedrock-agentcore-{agent}"
        ]
        assert grants["ecr:GetAuthorizationToken"]["resources"] == ["*"]
        assert grants["logs:PutLogEvents"]["resources"] == [
            f"arn:aws:logs:{region}:{account}:log-group:/aws/bedrock-agentcore/runtimes/{agent}-*:log-stream:*"
        ]
        assert grants["cloudwatch:PutMetricData"] == {
            "resources": ["*"],
            "condition": {"StringEquals": {"cloudwatch:namespace": "bedrock-agentcore"}},
        }
        assert grants["bedrock-agentcore:GetWorkloadAccessToken"]["resources"] == [
            f"arn:aws:bedrock-agentcore:{region}:{account}:workload-identity-directory/default",
            f"arn:aws:bedrock-agentcore:{region}:{account}:workload-identity-directory/default/workload-identity/{agent}-*",
        ]

        trust = iam.get_role(RoleName=arn.rsplit("/", 1)[-1])["Role"]["AssumeRolePolicyDocument"]
        (statement,) = as_list(policy_document(trust)["Statement"])
        assert statement["Principal"] == {"Service": "bedrock-agentcore.amazonaws.com"}
        assert statement["Action"] == "sts:AssumeRole"
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": account},
            "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock-agentcore:{region}:{account}:*"},
        }


def test_roles_stack_needs_the_sinks_stack(module_aws) -> None:
    from botocore.exceptions import WaiterError

    with pytest.raises((ClientError, WaiterError)):
        deploy_roles(module_aws, f"{unique()}-sinks", fifo=False)


def test_emulator_resources_come_from_the_sinks_template(module_aws) -> None:
    name = unique()
    res = create_sinks(module_aws, name)
    template = load_template(SINKS_TEMPLATE)["Resources"]
    stack = module_aws.client("cloudformation").describe_stacks(StackName=f"{name}-sinks")["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}

    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert res.bucket == outputs["S3BucketName"]
    assert res.table_name == outputs["DynamoDbTableName"]
    assert res.queue_url.endswith(f"/{name}-results")
    assert res.fifo_queue_url.endswith(f"/{name}-results.fifo")
    assert res.queue_url.startswith(module_aws.endpoint_url)
    assert res.env() == {
        "SQS_QUEUE_URL": res.queue_url,
        "S3_BUCKET_NAME": res.bucket,
        "DYNAMODB_TABLE_NAME": res.table_name,
    }

    # What moto's CloudFormation skips was applied by API, with the template's own values.
    s3 = module_aws.client("s3")
    block = s3.get_public_access_block(Bucket=res.bucket)["PublicAccessBlockConfiguration"]
    assert block == template["ResultsBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    ownership = s3.get_bucket_ownership_controls(Bucket=res.bucket)["OwnershipControls"]
    assert ownership == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    # Not applied locally: moto would refuse every write under it (next test).
    with pytest.raises(ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket=res.bucket)

    ddb = module_aws.client("dynamodb")
    ttl = ddb.describe_time_to_live(TableName=res.table_name)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}
    assert template["ResultsTable"]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "ttl",
        "Enabled": True,
    }
    backups = ddb.describe_continuous_backups(TableName=res.table_name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_deny_non_tls_policy_resolves_but_moto_cannot_evaluate_it(module_aws) -> None:
    """The template's bucket policy resolves to the real bucket; moto 5 knows no aws:SecureTransport and
    treats a conditional Deny as unconditional, which is why create_resources leaves it out."""
    name = unique()
    res = create_sinks(module_aws, name)
    s3 = module_aws.client("s3")
    s3.put_object(Bucket=res.bucket, Key="agentcore-results/before.json", Body=b"{}")

    module_aws.apply_ignored_properties(f"{name}-sinks", SINKS_TEMPLATE, with_bucket_policy=True)
    policy = json.loads(s3.get_bucket_policy(Bucket=res.bucket)["Policy"])
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [f"arn:aws:s3:::{res.bucket}", f"arn:aws:s3:::{res.bucket}/*"]

    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket=res.bucket, Key="agentcore-results/after.json", Body=b"{}")
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    s3.delete_bucket_policy(Bucket=res.bucket)
    s3.put_object(Bucket=res.bucket, Key="agentcore-results/after.json", Body=b"{}")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=res.bucket)["Contents"]}
    assert keys == {"agentcore-results/before.json", "agentcore-results/after.json"}


def test_emulator_sinks_take_writes(module_aws) -> None:
    res = create_sinks(module_aws, unique())
    sqs = module_aws.client("sqs")
    record = SumRecord(a=2, b=3, result=5, request_id=str(uuid.uuid4()), session_id=None)
    for url in (res.queue_url, res.fifo_queue_url):
        message_id = SqsWriter(sqs, url).send(record)
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
        assert [m["MessageId"] for m in received] == [message_id]
        assert json.loads(received[0]["Body"])["result"] == 5
        assert json.loads(received[0]["Body"])["request_id"] == record.request_id


def test_emulator_resource_names_are_unique_per_call(module_aws) -> None:
    first, second = create_sinks(module_aws), create_sinks(module_aws)
    assert len({first.queue_url, second.queue_url}) == 2
    assert len({first.bucket, second.bucket}) == 2
    assert len({first.table_name, second.table_name}) == 2
