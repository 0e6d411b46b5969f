"""`serve-local 6_event_sources` as a user runs it, in its own process with no AWS variables: the --json
line's interface (an event to `"result": 9`, a message to an item with `result` 3, a bad body to the DLQ,
within a minute), and the README's "Trigger and watch" block with the variables the human output prints."""

from __future__ import annotations

import json
import re
import time

import boto3
import pytest

from commands.worlds import STEP6
from local_cloud.loopback import free_port
from tests.commands.deploy.helpers import bash, readme_block
from tests.helpers import running, script, wait_until

pytestmark = pytest.mark.slow
KEYS = {"event_bus_name", "event_source", "event_detail_type", "state_machine_arn", "queue_url", "dlq_url",
        "jobs_table", "results_table"}  # fmt: skip


def client(service: str, endpoint: str) -> object:
    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    )  # fmt: skip


def items_with(ddb: object, table: str, result: str) -> list[dict]:
    items = ddb.scan(TableName=table, ConsistentRead=True)["Items"]  # type: ignore[attr-defined]
    return [i for i in items if "item_type" not in i and i.get("result", {}).get("N") == result]


def test_the_json_line_and_what_it_names_work_as_the_interface_says() -> None:
    args = [script("serve-local"), "6_event_sources", "--json", "--port", str(free_port())]
    with running(args, [re.compile(r"^\{.*\}$")], timeout=120) as (_, [line]):
        world = json.loads(line[0])
        names = world["resources"]
        started = time.monotonic()
        events, sfn = (
            client("events", world["aws_endpoint_url"]),
            client("stepfunctions", world["aws_endpoint_url"]),
        )
        sqs, ddb = client("sqs", world["aws_endpoint_url"]), client("dynamodb", world["aws_endpoint_url"])
        sent = events.put_events(  # type: ignore[attr-defined]
            Entries=[{"EventBusName": names["event_bus_name"], "Source": names["event_source"],
                      "DetailType": names["event_detail_type"], "Detail": "{\"prompt\": {\"a\": 7, \"b\": 2}}"}]
        )  # fmt: skip
        sqs.send_message(QueueUrl=names["queue_url"], MessageBody='{"prompt": {"a": 1, "b": 2}}')  # type: ignore[attr-defined]
        sqs.send_message(QueueUrl=names["queue_url"], MessageBody="not a job request")  # type: ignore[attr-defined]

        def ended() -> list[dict]:
            executions = sfn.list_executions(stateMachineArn=names["state_machine_arn"])["executions"]  # type: ignore[attr-defined]
            return [e for e in executions if e["status"] != "RUNNING"]

        [execution] = wait_until(ended, 60, "the event's execution", every=0.5)
        described = sfn.describe_execution(executionArn=execution["executionArn"])  # type: ignore[attr-defined]
        nine = wait_until(lambda: items_with(ddb, names["results_table"], "9"), 60, "the item with 9")
        three = wait_until(lambda: items_with(ddb, names["results_table"], "3"), 60, "the item with 3")
        dead = wait_until(
            lambda: sqs.receive_message(QueueUrl=names["dlq_url"], VisibilityTimeout=0).get("Messages"),  # type: ignore[attr-defined]
            60,
            "the bad body in the DLQ",
            every=0.5,
        )
        settled = time.monotonic() - started

    assert set(world) == {"aws_endpoint_url", "agentcore_endpoint_url", "resources"} and set(names) >= KEYS
    assert names["jobs_table"] == names["results_table"]
    assert sent["FailedEntryCount"] == 0
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"])["result"] == 9
    assert len(nine) == 1 and len(three) == 1 and [m["Body"] for m in dead] == ["not a job request"]
    assert settled < 60, settled


def test_the_readme_trigger_block_runs_with_the_variables_it_prints() -> None:
    args = [script("serve-local"), "6_event_sources", "--port", str(free_port())]
    until = [re.compile(r"^export AWS_ACCESS_KEY_ID=.*"), re.compile(r'^AWS=".*"$'), re.compile(r"^BUS=.*")]
    with running(args, until, timeout=120) as (_, found):
        exports = [match[0].split("   #")[0] for match in found]
        block = readme_block(STEP6 / "README.md", "events put-events")
        out = bash("\n".join([*exports, block]), timeout=120)

    documents = [json.loads(part) for part in _json_documents(out)]
    [described] = [d for d in documents if isinstance(d, list) and d and d[0] in ("SUCCEEDED", "FAILED")]
    assert described[0] == "SUCCEEDED" and json.loads(described[1])["result"] == 9
    scanned = next(d for d in documents if isinstance(d, dict) and "Items" in d)
    assert sorted(i["result"]["N"] for i in scanned["Items"]) == ["3", "9"]
    dead = next(d for d in documents if isinstance(d, list) and d and isinstance(d[0], str) and "one" in d[0])
    assert json.loads(dead[0]) == {"prompt": {"a": "one", "b": 2}}


def _json_documents(text: str) -> list[str]:
    """The JSON documents the AWS CLI printed one after another."""
    decoder, documents, at = json.JSONDecoder(), [], 0
    while at < len(text):
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            break
        _, end = decoder.raw_decode(text, at)
        documents.append(text[at:end])
        at = end
    return documents
