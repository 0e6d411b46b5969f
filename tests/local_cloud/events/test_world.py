"""The events world running a small SAM app (app/template.yaml) over real boto3: Lambda invocations run the
handler in its own environment, EventBridge starts executions, executions run their Lambda tasks and
Choices, the SQS mapping is polled as Lambda polls, schedules fire on demand."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from local_cloud.aws import EmbeddedAws
from local_cloud.events import Deployment, EventsWorld
from tests.helpers import wait_until
from tests.local_cloud.events.helpers import drain, finished, settle

APP = Path(__file__).resolve().parent / "app" / "template.yaml"
pytestmark = pytest.mark.xdist_group("events-world")


@dataclass
class App:
    aws: EmbeddedAws
    world: EventsWorld
    deployment: Deployment

    def output(self, key: str) -> str:
        return self.deployment.outputs[key]

    def url(self, key: str) -> str:
        return self.aws.local_queue_url(self.output(key))


@pytest.fixture(scope="module")
def app() -> Iterator[App]:
    with EmbeddedAws(region="us-east-1") as aws, EventsWorld(aws) as world:
        deployment = world.deploy(
            f"ev{uuid.uuid4().hex[:8]}", APP, function_env={**aws.env(), "AWS_REGION": aws.region}
        )
        yield App(aws, world, deployment)


def invoke(app: App, payload: dict) -> tuple[dict, str | None]:
    answer = app.aws.client("lambda").invoke(
        FunctionName=app.output("EchoFunction"), Payload=json.dumps(payload).encode()
    )
    return json.loads(answer["Payload"].read()), answer.get("FunctionError")


def test_an_invocation_runs_the_handler_with_the_template_environment(app: App) -> None:
    body, error = invoke(app, {"x": 1})
    name = app.output("EchoFunction")
    assert error is None
    assert body["event"] == {"x": 1}
    assert body["env"]["GREETING"] == "hello from the template"
    assert body["env"]["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert body["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "192"
    assert body["function_arn"].endswith(f":function:{name}")


def test_an_exception_is_an_unhandled_function_error_named_by_its_class(app: App) -> None:
    body, error = invoke(app, {"boom": "it broke"})
    assert error == "Unhandled"
    assert (body["errorType"], body["errorMessage"]) == ("Boom", "it broke")
    assert body["requestId"] and isinstance(body["stackTrace"], list)


@pytest.mark.slow
def test_a_handler_past_its_timeout_is_cut_off_and_its_environment_replaced(app: App) -> None:
    before, _ = invoke(app, {})
    body, error = invoke(app, {"sleep": 5})
    after, again = invoke(app, {})
    assert error == "Unhandled" and body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"] == "Task timed out after 2.00 seconds"
    assert again is None and after["env"]["PID"] != before["env"]["PID"]


def test_an_event_starts_one_execution_with_the_rule_s_input(app: App) -> None:
    events, sfn = app.aws.client("events"), app.aws.client("stepfunctions")
    entry = {"EventBusName": app.output("BusName"), "Source": "test.events", "DetailType": "Echo"}
    sent = events.put_events(Entries=[{**entry, "Detail": json.dumps({"who": "ana", "n": 1.5})}])
    event_id = sent["Entries"][0]["EventId"]
    [delivery] = [d for d in app.world.deliveries() if d.event_id == event_id]
    described = finished(sfn, delivery.execution_arn)

    assert sent["FailedEntryCount"] == 0 and delivery.error is None
    given = json.loads(described["input"])
    # InputTransformer: a string outside quotes keeps its quotes; inside a string it is raw text.
    assert given == {"id": event_id, "detail": {"who": "ana", "n": 1.5}, "note": "from ana", "constant": 5}
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["echo"]["answer"]["event"] == given


@pytest.mark.parametrize("detail_type", ["Disabled", "NoRuleForIt"])
def test_a_disabled_rule_or_no_match_starts_nothing(app: App, detail_type: str) -> None:
    events = app.aws.client("events")
    sent = events.put_events(
        Entries=[{"EventBusName": app.output("BusName"), "Source": "test.events", "DetailType": detail_type,
                  "Detail": "{}"}]
    )  # fmt: skip
    event_id = sent["Entries"][0]["EventId"]
    assert sent["FailedEntryCount"] == 0
    assert [d for d in app.world.deliveries() if d.event_id == event_id] == []


def test_executions_started_without_a_name_get_one_each(app: App) -> None:
    sfn = app.aws.client("stepfunctions")
    machine = app.deployment.state_machines["Machine"]
    arns = [sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"] for _ in range(2)]
    names = [arn.rsplit(":", 1)[1] for arn in arns]
    assert len(set(names)) == 2 and all(re.fullmatch(r"[0-9a-f-]{36}", name) for name in names)
    assert [finished(sfn, arn)["status"] for arn in arns] == ["SUCCEEDED", "SUCCEEDED"]


@pytest.mark.parametrize(
    ("lease", "verdict"),
    [
        ("2001-02-03T04:05:06.789Z", "past"),
        ("2999-01-01T00:00:00.001Z", "not past"),
        ("2001-02-03", "not past"),
    ],
)
def test_entered_time_has_the_service_s_format_and_compares_as_a_timestamp(
    app: App, lease: str, verdict: str
) -> None:
    sfn = app.aws.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=app.deployment.state_machines["Machine"], input=json.dumps({"lease": lease})
    )["executionArn"]
    output = json.loads(finished(sfn, arn)["output"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", output["clock"]["entered"])
    assert output["verdict"] == verdict


def seen(app: App) -> dict[str, dict]:
    items = app.aws.client("dynamodb").scan(TableName=app.output("SeenTable"), ConsistentRead=True)["Items"]
    return {item["body"]["S"]: {"times": int(item["seen"]["N"]), "id": item["id"]["S"]} for item in items}


@pytest.mark.slow
def test_the_mapping_deletes_what_succeeded_and_sqs_dead_letters_the_rest(app: App) -> None:
    sqs = app.aws.client("sqs")
    run = uuid.uuid4().hex[:6]
    bodies = [json.dumps({"n": n, "run": run, "poison": n == 2}) for n in range(4)]
    sqs.send_message_batch(
        QueueUrl=app.url("QueueUrl"), Entries=[{"Id": str(n), "MessageBody": b} for n, b in enumerate(bodies)]
    )
    [dead] = drain(sqs, app.url("DlqUrl"), 1, timeout=30)
    settle(1)
    mine = {body: got for body, got in seen(app).items() if run in body}

    # Each good message processed once and deleted; the poison one reported failed, back after the queue's
    # visibility timeout, received maxReceiveCount (2) times, then moved to the DLQ by SQS on the next receive.
    assert {b: mine[b]["times"] for b in bodies} == {b: 2 if '"poison": true' in b else 1 for b in bodies}
    assert dead["Body"] == bodies[2] and int(dead["Attributes"]["ApproximateReceiveCount"]) >= 2
    batches = [b for b in app.deployment.pollers[0].batches if mine[bodies[0]]["id"] in b.message_ids]
    assert batches and batches[0].outcome == "partial" and mine[bodies[2]]["id"] not in batches[0].deleted


@pytest.mark.slow
def test_a_function_error_returns_the_whole_batch(app: App) -> None:
    sqs = app.aws.client("sqs")
    run = uuid.uuid4().hex[:6]
    bodies = [json.dumps({"run": run, "crash": True}), json.dumps({"run": run, "fine": True})]
    sqs.send_message_batch(
        QueueUrl=app.url("QueueUrl"), Entries=[{"Id": str(n), "MessageBody": b} for n, b in enumerate(bodies)]
    )
    dead = drain(sqs, app.url("DlqUrl"), 2, timeout=30)

    # Nothing of a failed invocation is deleted: the good message came back with the bad one, was processed
    # again (at least once, not exactly once), and went to the DLQ with it.
    assert {m["Body"] for m in dead} == set(bodies)
    assert {seen(app)[b]["times"] for b in bodies} == {2}


def test_the_mapping_needs_a_visibility_timeout_of_at_least_the_function_s_timeout(app: App) -> None:
    sqs, lam = app.aws.client("sqs"), app.aws.client("lambda")
    url = sqs.create_queue(QueueName=f"short-{uuid.uuid4().hex[:8]}", Attributes={"VisibilityTimeout": "1"})[
        "QueueUrl"
    ]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    with pytest.raises(ClientError) as refused:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=app.output("EchoFunction"))
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "less than Function timeout: 2 seconds" in refused.value.response["Error"]["Message"]


def test_a_schedule_fires_on_demand_with_its_context_rendered(app: App) -> None:
    fired = app.world.fire_schedule(app.deployment.schedules["SendsAMessage"])
    [message] = drain(app.aws.client("sqs"), app.url("TargetQueueUrl"), 1)
    assert (fired.ok, fired.attempts) == (True, 1)
    assert re.fullmatch(r"fired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, attempt 1", message["Body"])


def test_a_failing_schedule_is_retried_then_dead_lettered(app: App) -> None:
    fired = app.world.fire_schedule(app.deployment.schedules["SendsNowhere"])
    dead = wait_until(
        lambda: [
            m for m in drain(app.aws.client("sqs"), app.url("DlqUrl"), 1) if m["Body"].endswith('"lost"}')
        ],
        30,
        "the schedule's dead letter",
    )
    attributes = {k: v["StringValue"] for k, v in dead[0]["MessageAttributes"].items()}
    assert (fired.ok, fired.attempts, fired.dead_lettered) == (False, 3, True)
    # The target's own error code, as botocore read it (SQS's query-compatible code for a missing queue).
    assert (
        attributes["ERROR_CODE"] == "AWS.SimpleQueueService.NonExistentQueue"
        and attributes["ATTEMPTS"] == "3"
    )


def test_an_event_that_cannot_start_its_execution_goes_to_the_target_s_dead_letter_queue(app: App) -> None:
    events, sqs = app.aws.client("events"), app.aws.client("sqs")
    name = f"nowhere-{uuid.uuid4().hex[:8]}"
    dlq = app.url("DlqUrl")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name=name, EventBusName=app.output("BusName"), EventPattern=json.dumps({"source": [name]})
    )
    missing = f"arn:aws:states:us-east-1:123456789012:stateMachine:{name}"
    events.put_targets(
        Rule=name, EventBusName=app.output("BusName"),
        Targets=[{"Id": "gone", "Arn": missing, "DeadLetterConfig": {"Arn": dlq_arn}}],
    )  # fmt: skip
    sent = events.put_events(Entries=[{"EventBusName": app.output("BusName"), "Source": name, "DetailType": "x",
                                       "Detail": "{}"}])  # fmt: skip
    event_id = sent["Entries"][0]["EventId"]
    [delivery] = [d for d in app.world.deliveries() if d.event_id == event_id]
    dead = wait_until(
        lambda: [m for m in drain(sqs, dlq, 1) if json.loads(m["Body"]).get("id") == event_id],
        20,
        "the dead letter",
    )
    attributes = {k: v["StringValue"] for k, v in dead[0]["MessageAttributes"].items()}

    # PutEvents itself succeeds: EventBridge delivers later, and what it cannot deliver goes to the DLQ.
    assert sent["FailedEntryCount"] == 0 and delivery.execution_arn is None and delivery.error
    assert attributes["TARGET_ARN"] == missing and attributes["RULE_ARN"].endswith(f"/{name}")


def test_another_world_started_and_stopped_in_the_process_leaves_this_one_running(app: App) -> None:
    with EmbeddedAws(region="us-east-1") as other, EventsWorld(other):
        pass
    sfn = app.aws.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=app.deployment.state_machines["Machine"], input="{}")[
        "executionArn"
    ]
    assert finished(sfn, arn)["status"] == "SUCCEEDED"
