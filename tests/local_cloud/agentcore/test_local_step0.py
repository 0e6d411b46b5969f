"""Step 0's conversation lives in its session's process: kept across a session's invocations, never seen by
another session (step 0 behind the local data plane, Bedrock played by tests/step0/fake_bedrock.py)."""

from __future__ import annotations

import json
import uuid

from commands.worlds import step_runtime
from local_cloud.agentcore import AgentCoreLocal
from tests.helpers import agentcore_client
from tests.steps.step0.fake_bedrock import FakeBedrock, Reply


def _user_texts(body: dict) -> list[str]:
    return [
        block["text"]
        for message in body["messages"]
        if message["role"] == "user"
        for block in message["content"]
        if "text" in block
    ]


def test_a_conversation_is_kept_per_session_and_never_leaks() -> None:
    with FakeBedrock() as fake:
        fake.replies += [
            Reply(pieces=["Hello Ada"]),
            Reply(pieces=["Hello Bob"]),
            Reply(pieces=["You are Ada"]),
        ]
        env = {
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": fake.url,
            "AWS_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "AKIDSTEP0TEST",
            "AWS_SECRET_ACCESS_KEY": "step0-test-secret",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
            "MODEL_ID": "eu.amazon.nova-2-lite-v1:0",
        }
        spec = step_runtime(f"step0_local_{uuid.uuid4().hex[:6]}", "0_run_default_agentcore", env)
        ada, bob = f"ada-{uuid.uuid4()}", f"bob-{uuid.uuid4()}"
        with AgentCoreLocal([spec], stop_grace=1.0) as plane:
            client = agentcore_client(plane.endpoint_url, read_timeout=60)

            def ask(session: str, prompt: str) -> dict:
                answer = client.invoke_agent_runtime(
                    agentRuntimeArn=spec.arn,
                    runtimeSessionId=session,
                    payload=json.dumps({"prompt": prompt}).encode(),
                )
                return json.loads(answer["response"].read())

            answers = [ask(ada, "I am Ada"), ask(bob, "I am Bob"), ask(ada, "Who am I?")]
            pids = {v["session_id"]: v["pid"] for v in plane.sessions()}

    assert answers == [{"result": "Hello Ada"}, {"result": "Hello Bob"}, {"result": "You are Ada"}]
    assert pids[ada] != pids[bob]
    seen = [_user_texts(s.body) for s in fake.seen]
    # Bob's session starts empty; Ada's second turn carries her first one and nothing of Bob's.
    assert seen == [["I am Ada"], ["I am Bob"], ["I am Ada", "Who am I?"]]
    assert [s.signed_region for s in fake.seen] == ["eu-west-1"] * 3
