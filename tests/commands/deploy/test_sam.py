"""Steps 5 and 6 with the real SAM CLI: `sam validate --lint`, `sam build`, and the built packages answering
events.

aws-sam-cli lives in .venv/sam (its boto3 pin conflicts with the project's); `sam build` needs the
template's runtime, python3.12, on PATH: found on PATH, in pyenv's versions, or by `uv python find`
(helpers.find_python).
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from commands.steps import SAM_STEPS
from commands.worlds import STEP4_RUNTIME_ARN, create_sinks, step4_runtime, step_runtime
from local_cloud.agentcore import AgentCoreLocal, runtime_arn
from local_cloud.aws import EmbeddedAws
from tests.commands.deploy.helpers import BIN, ROOT, find_python, git_status, run, staged_sam_env

STEP5 = "5_api_gateway_proxy"
STEP6 = "6_event_sources"
EVENT = ROOT / "tests" / "steps" / "step5" / "events" / "calculate_post.json"
# Call the handler as the Lambda runtime would, in an interpreter that sees only the built package.
PROBE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import lambda_proxy
class Context:
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:proxy"
    aws_request_id = "sam-build-test"
    function_name = "proxy"
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    def get_remaining_time_in_millis(self):
        return 28_000
print(json.dumps(lambda_proxy.handler(json.load(open(sys.argv[2])), Context())))
"""
# Step 6's functions the same way: argv is the package, the module, the event (JSON text).
PROBE6 = r"""
import importlib, json, sys
sys.path.insert(0, sys.argv[1])
module = importlib.import_module(sys.argv[2])
class Context:
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + sys.argv[2]
    aws_request_id = "sam-build-test"
    function_name = sys.argv[2]
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    def get_remaining_time_in_millis(self):
        return 20_000
print(json.dumps(module.handler(json.loads(sys.argv[3]), Context())))
"""


@pytest.fixture
def sam_env(scratch: Path, proxy_port: int) -> dict[str, str]:
    """Fake credentials and a region for SAM (it never calls AWS here), offline, the SAM steps staged."""
    return staged_sam_env(scratch, proxy_port, *SAM_STEPS)


@pytest.mark.parametrize("step", SAM_STEPS)
def test_sam_validate_lint(scratch: Path, sam_env: dict[str, str], step: str) -> None:
    result = run([str(BIN / "sam"), "validate", "--lint"], scratch / step, sam_env, 300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "is a valid SAM Template" in result.stdout


def test_sam_build_makes_a_package_that_answers_the_recorded_event(
    scratch: Path, sam_env: dict[str, str]
) -> None:
    python, where = find_python("3.12")
    if python is None:
        pytest.skip(f"sam build needs the template's runtime: {where}")
    print(f"sam build with {python} (found on {where})")
    env = {**sam_env, "PATH": os.pathsep.join([str(Path(python).parent), sam_env["PATH"]])}
    built = run([str(BIN / "sam"), "build"], scratch / STEP5, env, 600)
    assert built.returncode == 0, built.stdout[-4000:]
    package = scratch / STEP5 / ".aws-sam" / "build" / "ProxyFunction"
    assert (package / "lambda_proxy.py").is_file() and (package / "shared" / "__init__.py").is_file()
    assert (package / "boto3").is_dir()  # requirements.txt, installed for python3.12 from the wheelhouse
    assert git_status(scratch) == []  # .aws-sam/ and the staged shared/ are git-ignored

    arn = runtime_arn("sam-build-test")
    with AgentCoreLocal([step_runtime("sam-build-test", "1_compute_without_model")]) as data_plane:
        lambda_env = {
            "PATH": env["PATH"],
            "AGENT_RUNTIME_ARN": arn,
            "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE": data_plane.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "NO_PROXY": "127.0.0.1,localhost",
        }
        # -I: no PYTHONPATH, no user site, no current folder: only the package and the standard library.
        answered = subprocess.run(
            [python, "-I", "-c", PROBE, str(package), str(EVENT)],
            env=lambda_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert answered.returncode == 0, answered.stderr[-3000:]
    reply = json.loads(answered.stdout.strip().splitlines()[-1])
    assert reply["statusCode"] == 200, reply
    assert json.loads(reply["body"])["data"] == {"result": 10}


def test_sam_build_of_step6_packages_functions_that_submit_jobs(
    scratch: Path, sam_env: dict[str, str], moto_server: EmbeddedAws
) -> None:
    python, where = find_python("3.12")
    if python is None:
        pytest.skip(f"sam build needs the template's runtime: {where}")
    env = {**sam_env, "PATH": os.pathsep.join([str(Path(python).parent), sam_env["PATH"]])}
    built = run([str(BIN / "sam"), "build"], scratch / STEP6, env, 600)
    assert built.returncode == 0, built.stdout[-4000:]
    packages = {
        name: scratch / STEP6 / ".aws-sam" / "build" / name
        for name in ("StarterFunction", "ConsumerFunction")
    }
    for package in packages.values():
        assert (package / "starter.py").is_file() and (package / "consumer.py").is_file()
        assert (package / "shared" / "jobs" / "store.py").is_file() and (
            package / "aws_lambda_powertools"
        ).is_dir()
    assert git_status(scratch) == []

    resources = create_sinks(moto_server, f"sb{uuid.uuid4().hex[:8]}")
    with AgentCoreLocal([step4_runtime(moto_server, resources)], start_mode="fork") as data_plane:
        lambda_env = {
            "PATH": env["PATH"], "AGENT_RUNTIME_ARN": STEP4_RUNTIME_ARN, "JOBS_TABLE_NAME": resources.table_name,
            "JOB_POLL_MILLISECONDS": "100", "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE": data_plane.endpoint_url,
            "AWS_ENDPOINT_URL_DYNAMODB": moto_server.endpoint_url, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
            "NO_PROXY": "127.0.0.1,localhost",
        }  # fmt: skip
        event = {"event_id": f"sam-build-{uuid.uuid4()}", "detail": {"prompt": {"a": 1, "b": 2}}}
        batch = {"Records": [
            {"messageId": f"good-{uuid.uuid4()}", "body": '{"prompt": {"a": 2, "b": 2}}', "receiptHandle": "r1",
             "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "x",
             "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"},
        ]}  # fmt: skip
        bad = {**batch["Records"][0], "messageId": f"bad-{uuid.uuid4()}", "body": "not json"}
        batch["Records"].append(bad)
        answers = {}
        for name, module, doc in (
            ("StarterFunction", "starter", event),
            ("ConsumerFunction", "consumer", batch),
        ):
            # -I: no PYTHONPATH, no user site, no current folder: only the package and the standard library.
            answered = subprocess.run(
                [python, "-I", "-c", PROBE6, str(packages[name]), module, json.dumps(doc)],
                env=lambda_env, capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            assert answered.returncode == 0, answered.stderr[-3000:]
            answers[name] = json.loads(answered.stdout.strip().splitlines()[-1])
    assert answers["StarterFunction"]["status"] == "PENDING"
    assert answers["ConsumerFunction"] == {"batchItemFailures": [{"itemIdentifier": bad["messageId"]}]}
