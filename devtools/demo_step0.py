"""`make demo`, step 0: the Strands agent against the real Bedrock model, only when AWS access exists.

Without credentials (resolved by botocore without the network: the EC2 metadata provider is left out)
or when Bedrock refuses the call (no model access, unknown model id, no region), it prints
`step 0: skipped (no AWS credentials / Bedrock access)` and returns None. Otherwise it serves the step
with StepServer, sends one plain and one streaming prompt over HTTP and returns the report lines,
each result line starting with [PASS] or [FAIL].
"""

from __future__ import annotations

import json
import os

import botocore.session
from botocore.exceptions import BotoCoreError

from devtools import http
from devtools.serve import StepServer

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


def _server_env() -> dict[str, str]:
    # StepServer drops AWS_* from the environment it passes on; step 0 needs the real ones back,
    # except a generic endpoint override that would send Bedrock calls to an emulator.
    env = {k: v for k, v in os.environ.items() if k.startswith("AWS_") and k != "AWS_ENDPOINT_URL"}
    if os.environ.get("MODEL_ID"):
        env["MODEL_ID"] = os.environ["MODEL_ID"]
    return env


def _stream(
    server: StepServer, prompt: str, timeout: float = 120
) -> tuple[int, str, list[dict[str, object]]]:
    return http.events(f"{server.url}/invocations", {"prompt": prompt, "stream": True}, timeout=timeout)


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
    with StepServer(STEP, _server_env(), startup_timeout=60) as server:
        status, body = server.invoke({"prompt": PROMPT}, timeout=180)
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
        status, kind, events = _stream(server, STREAM_PROMPT)
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
