"""`serve-local STEP`: start the local world a step needs (the embedded AWS and its resources, the step
on the local AgentCore data plane, step 5's API Gateway and Lambda, step 6's event sources) and print what
to call, until Ctrl-C.

`--json` prints one line instead: {"aws_endpoint_url", "agentcore_endpoint_url", "resources": {...}},
the names the step's front uses (for step 5: `api_url` and `api_key`; for step 6: `event_bus_name`,
`event_source`, `event_detail_type`, `state_machine_arn`, `queue_url`, `dlq_url`, `jobs_table` and
`results_table`). No AWS variables are needed: the local world has its own credentials and uses us-east-1
unless AWS_REGION says otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from local_cloud.agentcore import AgentCoreLocal
from local_cloud.aws import EmbeddedAws

from .errors import fail
from .scripts import script
from .steps import SERVED_STEPS
from .worlds import (
    Resources,
    create_sinks,
    lambda_environment,
    step4_runtime,
    step5_front,
    step6_world,
    step_runtime,
)

__all__ = ["main"]

DEFAULT_PLANE_PORT = 8081
DEFAULT_API_PORT = 3000


@dataclass
class World:
    """What a step's local world started: the endpoints, the names its front uses, and how to call it."""

    aws_endpoint_url: str | None
    agentcore_endpoint_url: str
    resources: dict[str, Any]
    lines: list[str] = field(default_factory=list)
    # Polled while serving: False once a part of the world has died.
    alive: Callable[[], bool] = lambda: True

    def json_line(self) -> str:
        """The one line --json prints."""
        doc = {
            "aws_endpoint_url": self.aws_endpoint_url,
            "agentcore_endpoint_url": self.agentcore_endpoint_url,
            "resources": self.resources,
        }
        return json.dumps(doc)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _runtime_calls(plane: AgentCoreLocal, arn: str, payload: str, region: str) -> list[str]:
    session = "local-session-0123456789abcdef0123456789"
    return [
        "Call it from another shell at the repository root:",
        f"export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={region}"
        "   # any credentials: nothing local checks them",
        f".venv/bin/aws bedrock-agentcore invoke-agent-runtime --endpoint-url {plane.endpoint_url} \\",
        f"    --agent-runtime-arn {arn} --runtime-session-id {session} \\",
        f"    --payload '{payload}' /tmp/answer.json --output text --query statusCode"
        " && cat /tmp/answer.json; echo",
        f"{script('agentcore-local')} sessions --endpoint {plane.endpoint_url}",
    ]


@contextlib.contextmanager
def _agent_world(step: str, port: int, sinks: bool) -> Iterator[World]:
    with ExitStack() as stack:
        aws = stack.enter_context(EmbeddedAws()) if sinks else None
        resources = create_sinks(aws) if aws else None
        env = {**aws.env(), **resources.env()} if aws and resources else {}
        spec = step_runtime(f"step{step}", step, env)
        plane = AgentCoreLocal([spec], aws_endpoint=aws.endpoint_url if aws else None, port=port)
        stack.enter_context(plane)
        region = aws.region if aws else plane.region
        names: dict[str, Any] = {"runtime_arn": spec.arn}
        lines = []
        if aws and resources:
            names.update(_sink_names(step, resources))
            lines.append(
                f"embedded AWS (moto) at {aws.endpoint_url}; "
                + ", ".join(f"{k} {v}" for k, v in names.items() if k != "runtime_arn")
            )
        lines += [
            f"AgentCore data plane at {plane.endpoint_url}",
            f"  runtime {spec.arn} <- {spec.folder.name}",
        ]
        payload = '{"prompt": "Hello"}' if step.startswith("0_") else '{"prompt": {"a": 1, "b": 2}}'
        lines += _runtime_calls(plane, spec.arn, payload, region)
        yield World(aws.endpoint_url if aws else None, plane.endpoint_url, names, lines)


def _sink_names(step: str, resources: Resources) -> dict[str, str]:
    return {
        "2_sqs_sink": {"queue_url": resources.queue_url},
        "3_s3_sink": {"bucket": resources.bucket},
        "4_dynamodb_sink": {"table_name": resources.table_name},
    }.get(step, {})


@contextlib.contextmanager
def _proxy_world(port: int, api_keys: list[str]) -> Iterator[World]:
    with ExitStack() as stack:
        aws = stack.enter_context(EmbeddedAws())
        resources = create_sinks(aws)
        plane = stack.enter_context(
            AgentCoreLocal([step4_runtime(aws, resources)], aws_endpoint=aws.endpoint_url)
        )
        identity = "api_key" if api_keys else "none"
        front = stack.enter_context(
            step5_front(lambda_environment(aws, resources, plane, identity), port=port, api_keys=api_keys)
        )
        key = f" -H 'x-api-key: {api_keys[0]}'" if api_keys else ""
        lines = [
            f"embedded AWS (moto) at {aws.endpoint_url}; table {resources.table_name}",
            f"AgentCore data plane at {plane.endpoint_url}",
            f"curl -X POST {front.url}/calculate{key} -H 'Content-Type: application/json' \\",
            '     -d \'{"prompt": {"a": 5, "b": 5}}\'',
            f"curl -i -X POST {front.url}/jobs{key} -H 'Content-Type: application/json' \\",
            '     -d \'{"prompt": {"a": 7, "b": 2}, "delay_seconds": 10}\'',
            f"curl{key} {front.url}/jobs/<job_id>      # the Location header of the POST, under the stage",
            f"curl -X DELETE{key} {front.url}/jobs/<job_id>   # cancel it",
            f"{script('agentcore-local')} sessions --endpoint {plane.endpoint_url}",
        ]
        names = {
            "api_url": front.url,
            "api_key": api_keys[0] if api_keys else None,
            "table_name": resources.table_name,
            "runtime_arn": plane.runtime_views()[0]["arn"],
        }
        yield World(
            aws.endpoint_url,
            plane.endpoint_url,
            names,
            lines,
            lambda: front.process is not None and front.process.poll() is None,
        )


@contextlib.contextmanager
def _events_world(port: int) -> Iterator[World]:
    with step6_world(plane_port=port) as world:
        names = world.names()
        # The variables 6_event_sources/README.md's "Trigger and watch" block uses, set for this world.
        variables = {
            "BUS": names["event_bus_name"], "SOURCE": names["event_source"],
            "DETAIL_TYPE": names["event_detail_type"], "STATE_MACHINE": names["state_machine_arn"],
            "QUEUE_URL": names["queue_url"], "DLQ_URL": names["dlq_url"], "TABLE": names["results_table"],
        }  # fmt: skip
        lines = [
            f"embedded AWS (moto) at {world.aws.endpoint_url}, its event services running; "
            f"AgentCore data plane at {world.plane.endpoint_url} (step 4)",
            f"  bus {names['event_bus_name']}, state machine {names['state_machine_arn']}",
            f"  queue {names['queue_url']} (dead letters: {names['dlq_url']}), table {names['jobs_table']}",
            "In another shell at the repository root, set these, then run 6_event_sources/README.md's "
            '"Trigger and watch" block:',
            "export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
            f"AWS_DEFAULT_REGION={world.aws.region}   # any credentials: nothing local checks them",
            f'AWS="{script("aws")} --endpoint-url {world.aws.endpoint_url}"',
            " ".join(f"{name}={shlex.quote(value)}" for name, value in variables.items()),
        ]
        pollers = world.deployment.pollers
        # A function's environment starts (again) on its next invocation; the queue's poller must run on.
        yield World(
            world.aws.endpoint_url,
            world.plane.endpoint_url,
            names,
            lines,
            lambda: all(p.is_alive() for p in pollers),
        )


def _world(step: str, args: argparse.Namespace) -> contextlib.AbstractContextManager[World]:
    if step == "5_api_gateway_proxy":
        return _proxy_world(args.port or DEFAULT_API_PORT, args.api_key)
    if step == "6_event_sources" and not args.api_key:
        return _events_world(args.port or DEFAULT_PLANE_PORT)
    if args.api_key:
        raise SystemExit(fail(f"--api-key is step 5's (its API Gateway); {step} has none"))
    return _agent_world(step, args.port or DEFAULT_PLANE_PORT, sinks=step[0] in "234")


def main(argv: list[str] | None = None) -> int:
    """Serve the step's local world until interrupted (Ctrl-C or SIGTERM stop everything it started)."""
    parser = argparse.ArgumentParser(prog="serve-local", description=__doc__.splitlines()[0])
    parser.add_argument("step", metavar="STEP", help=f"a step folder: {', '.join(SERVED_STEPS)}")
    parser.add_argument(
        "--port",
        type=int,
        help=f"step 5: the API's port ({DEFAULT_API_PORT}); others: the data plane's ({DEFAULT_PLANE_PORT})",
    )
    parser.add_argument(
        "--api-key", action="append", default=[], help="step 5: require API keys, one per caller (repeat)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print one line of JSON: the endpoints and resource names"
    )
    args = parser.parse_args(argv)
    step = args.step.rstrip("/")
    if step not in SERVED_STEPS:
        return fail(f"no step folder {step!r}; one of {', '.join(SERVED_STEPS)}")
    os.environ.setdefault("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    # SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so every process started here is stopped too.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with _world(step, args) as world:
            if args.json:
                print(world.json_line(), flush=True)
            else:
                print("\n".join([*world.lines, "Ctrl-C stops everything."]), flush=True)
            while world.alive():
                time.sleep(0.5)
            return fail("a part of the local world stopped; see the lines above")
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        return fail(f"cannot start the local world ({exc}); is --port {args.port} taken?")


if __name__ == "__main__":
    raise SystemExit(main())
