"""`make demo`, step 0: the Strands agent against the real Bedrock model, only when AWS access exists.

Without credentials (resolved by botocore without the network: the EC2 metadata provider is left out)
or when Bedrock refuses the call (no model access, unknown model id, no region), it prints
`step 0: skipped (no AWS credentials / Bedrock access)` and returns None. Otherwise it serves the step
behind the local AgentCore data plane, sends one plain and one streaming prompt with InvokeAgentRuntime
over HTTP and returns the report lines, each result line starting with [PASS] or [FAIL].
"""

from __future__ import annotations

import json
import os

import botocore.session
from botocore.exceptions import BotoCoreError

from local_cloud import http
from local_cloud.agentcore import SESSION_HEADER, AgentCoreLocal, Settings

from ..worlds import step_runtime

STEP = "0_run_default_agentcore"
SKIPPED = "step 0: skipped (no AWS credentials / Bedrock access)"
PROMPT = "In one sentence: what is Amazon Bedrock AgentCore Runtime?"
STREAM_PROMPT = "Name three AWS compute services, comma separated."
# What the step answers when the account, region or model id cannot be used: a reason to skip, not a bug.
ACCESS_CODES = {
    "ConfigurationError",
    "ModelCredentialsMissing",
    "ModelCredentialsInvalid",
    "ModelAccessDenied",
    "ModelNotFound",
}


def has_aws_credentials() -> bool:
    """Whether botocore's credential chain finds credentials, without asking the EC2 metadata service."""
    session = botocore.session.Session()
    resolver = session.get_component("credential_provider")
    resolver.remove("iam-role")  # InstanceMetadataProvider: a network call that hangs off EC2
    try:
        return resolver.load_credentials() is not None
    except BotoCoreError:
        # An expired SSO token, a broken credential_process: no usable credentials.
        return False


def _base_env() -> dict[str, str]:
    # The session gets the real credentials and region; a generic endpoint override would send the
    # Bedrock calls to an emulator instead.
    return {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}


def _refused(status: int, body: object) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    if status >= 400 and isinstance(error, dict) and error.get("code") in ACCESS_CODES:
        return f"{status} {error.get('code')}: {error.get('message')}"
    return None


def run_step0_demo() -> list[str] | None:
    """Run step 0 against Bedrock and return its report lines, or print the skip line and return None."""
    if not has_aws_credentials():
        print(SKIPPED)
        return None
    lines: list[str] = []
    spec = step_runtime("step0", STEP)
    with AgentCoreLocal([spec], base_env=_base_env(), settings=Settings(startup_timeout=60)) as plane:
        session = f"demo-step0-{os.getpid()}-session-0000000000000000"
        status, _, body = plane.invoke(spec.arn, {"prompt": PROMPT}, session, timeout=180)
        reason = _refused(status, body)
        if reason is not None:
            print(SKIPPED)
            print(f"        ({reason})")
            return None
        result = body.get("result") if isinstance(body, dict) else None
        ok = status == 200 and isinstance(result, str) and bool(result.strip())
        lines += [
            f"[{'PASS' if ok else 'FAIL'}] {STEP}",
            f"       request : {json.dumps({'prompt': PROMPT})}",
            f"       response: {status} {json.dumps(body)}",
        ]
        status, kind, events = http.events(
            plane.invocation_url(spec.arn),
            {"prompt": STREAM_PROMPT, "stream": True},
            headers={SESSION_HEADER: session},
            timeout=120,
        )
        deltas = "".join(str(e["data"]) for e in events if "data" in e)
        final = events[-1] if events else {}
        ok = (
            status == 200
            and kind.startswith("text/event-stream")
            and final == {"result": deltas}
            and bool(deltas)
        )
        lines += [
            f"[{'PASS' if ok else 'FAIL'}] {STEP} (stream)",
            f"       request : {json.dumps({'prompt': STREAM_PROMPT, 'stream': True})}",
            f"       response: {status} {kind.split(';')[0]}, {len(events) - 1} text events, "
            f"final {json.dumps(final)}",
        ]
    return lines


if __name__ == "__main__":
    report = run_step0_demo()
    if report is not None:
        print("\n".join(report))
