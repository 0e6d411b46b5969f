"""Draw the architecture images (images/arch-*.png) from code with `diagrams` and AWS's icon set.

Run with `make images`. It needs Graphviz's `dot` on PATH (Debian/Ubuntu: `apt-get install graphviz`,
macOS: `brew install graphviz`). The PNGs are committed, so nobody else needs either.

The diagrams library ships no AgentCore icon: the runtime is drawn as a box named "AgentCore Runtime"
holding the container's code (the Python icon), which is also what it is: our code in a microVM.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from diagrams import Cluster, Diagram, Edge, Node
from diagrams.aws.compute import Lambda
from diagrams.aws.database import Dynamodb
from diagrams.aws.general import User, Users
from diagrams.aws.integration import (
    EventbridgeCustomEventBusResource,
    EventbridgeScheduler,
    SimpleQueueServiceSqs,
    StepFunctions,
)
from diagrams.aws.ml import Bedrock
from diagrams.aws.network import APIGateway
from diagrams.aws.storage import SimpleStorageServiceS3
from diagrams.programming.language import Python

HERE = Path(__file__).resolve().parent
RUNTIME = "AgentCore Runtime\n(microVM per session)"

# Large type and a compact left-to-right layout: the images are shown about 800 px wide.
GRAPH = {
    "fontsize": "30",
    "fontname": "Helvetica",
    "pad": "0.45",
    "nodesep": "0.35",
    "ranksep": "0.55",
    "splines": "spline",
    "labelloc": "t",
}
NODE = {"fontsize": "20", "fontname": "Helvetica"}
EDGE = {"fontsize": "18", "fontname": "Helvetica"}
ICON_INCHES = 1.1
LINE_INCHES = 0.32
CLUSTER = {"fontsize": "22", "fontname": "Helvetica", "bgcolor": "#F3F7FB", "margin": "14"}


def diagram(name: str, title: str) -> Diagram:
    """A diagram written to images/<name>.png."""
    return Diagram(
        title,
        filename=str(HERE / name),
        outformat="png",
        show=False,
        direction="LR",
        graph_attr=GRAPH,
        node_attr=NODE,
        edge_attr=EDGE,
    )


def label(text: str) -> Edge:
    """An edge with a label in the large type (diagrams' Edge sets its own small font otherwise)."""
    return Edge(label=text, **EDGE, penwidth="2")


def node(kind: type[Node], text: str) -> Node:
    """An icon with its label below it, tall enough that the label never covers the icon."""
    lines = text.count("\n") + 1
    height = ICON_INCHES + LINE_INCHES * lines + 0.1
    return kind(text, width=str(ICON_INCHES), height=f"{height:.2f}", imagepos="tc", **NODE)


def runtime(code: str) -> Python:
    """The AgentCore Runtime box with the container's code inside; returns the code node."""
    with Cluster(RUNTIME, graph_attr=CLUSTER):
        return node(Python, code)


def arch_0() -> None:
    with diagram("arch-0", "Step 0: an agent on AgentCore Runtime calls a model"):
        user = node(User, "user")
        agent = runtime("agent.py\nStrands agent")
        model = node(Bedrock, "Bedrock\nmodel")
        user >> label("agentcore invoke\n{prompt}") >> agent >> label("Converse") >> model


def arch_1() -> None:
    with diagram("arch-1", "Step 1: compute without a model"):
        user = node(User, "user")
        agent = runtime("agent.py\na + b")
        user >> label("agentcore invoke\n{a: 1, b: 2}") >> agent
        agent >> label("{result: 3}") >> user


def _sink_step(name: str, title: str, sink: Callable[[], object], verb: str) -> None:
    with diagram(name, title):
        user = node(User, "user")
        agent = runtime("agent.py\na + b")
        user >> label("{a, b}") >> agent >> label(verb) >> sink()


def arch_2() -> None:
    _sink_step(
        "arch-2",
        "Step 2: the result goes to SQS",
        lambda: node(SimpleQueueServiceSqs, "SQS queue"),
        "SendMessage",
    )


def arch_3() -> None:
    _sink_step(
        "arch-3",
        "Step 3: the result goes to S3",
        lambda: node(SimpleStorageServiceS3, "S3 bucket"),
        "PutObject",
    )


def arch_4() -> None:
    _sink_step(
        "arch-4",
        "Step 4: the result goes to DynamoDB (TTL)",
        lambda: node(Dynamodb, "DynamoDB\nTTL on ttl"),
        "PutItem",
    )


def arch_5() -> None:
    with diagram("arch-5", "Step 5: API Gateway and a Lambda proxy in front"):
        client = node(Users, "client\ncurl")
        api = node(APIGateway, "API Gateway\nPOST /calculate")
        proxy = node(Lambda, "Lambda\nproxy")
        agent = runtime("agent.py\na + b")
        table = node(Dynamodb, "DynamoDB")
        client >> api >> proxy >> label("Invoke\nAgentRuntime") >> agent >> label("PutItem") >> table


def arch_async() -> None:
    with diagram("arch-async", "Async jobs: start now, answer later"):
        client = node(Users, "client\ncurl")
        api = node(APIGateway, "API Gateway\nPOST /jobs\nGET /jobs/{id}")
        proxy = node(Lambda, "Lambda\nproxy")
        agent = runtime("agent.py\nbackground task\n/ping: HealthyBusy")
        table = node(Dynamodb, "DynamoDB\nresult items +\njob# records")
        client >> api >> proxy
        proxy >> label("POST /jobs:\nInvokeAgentRuntime\n(new session)") >> agent
        agent >> label("job state,\nthen result") >> table
        proxy >> label("GET /jobs/{id}:\nGetItem") >> table


def arch_6() -> None:
    with diagram("arch-6", "Step 6: events, schedules and queues start AgentCore jobs"):
        source = node(Users, "producer")
        bus = node(EventbridgeCustomEventBusResource, "EventBridge\nbus, rule")
        machine = node(StepFunctions, "Step Functions\nWait / GetItem /\nChoice loop")
        starter = node(Lambda, "Lambda\nstarter")
        schedule = node(EventbridgeScheduler, "EventBridge\nScheduler")
        queue = node(SimpleQueueServiceSqs, "SQS queue\n(+ DLQ)")
        consumer = node(Lambda, "Lambda\nbatch consumer")
        agent = runtime("step 4 agent.py\nasync job")
        table = node(Dynamodb, "DynamoDB\njob# records,\nresult items")
        source >> label("PutEvents") >> bus >> label("event id,\ndetail") >> machine
        machine >> label("lambda:invoke") >> starter
        starter >> label("InvokeAgentRuntime\n(returns at once)") >> agent
        machine >> label("dynamodb:getItem\njob#<id>") >> table
        schedule >> label("universal target:\nInvokeAgentRuntime") >> agent
        queue >> label("event source\nmapping") >> consumer
        consumer >> label("InvokeAgentRuntime\nkey: message id") >> agent
        agent >> label("job state, result") >> table
        consumer >> label("GetItem job#<id>") >> table


ALL: dict[str, Callable[[], None]] = {
    "arch-0": arch_0,
    "arch-1": arch_1,
    "arch-2": arch_2,
    "arch-3": arch_3,
    "arch-4": arch_4,
    "arch-5": arch_5,
    "arch-6": arch_6,
    "arch-async": arch_async,
}


def main(argv: list[str]) -> int:
    """Draw the named images (default: all)."""
    names = argv or list(ALL)
    unknown = [name for name in names if name not in ALL]
    if unknown:
        print(f"unknown image(s): {', '.join(unknown)}; choose from {', '.join(ALL)}", file=sys.stderr)
        return 2
    for name in names:
        ALL[name]()
        print(f"wrote {(HERE / name).with_suffix('.png').relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
