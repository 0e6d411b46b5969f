"""The steps, once: their folders, which are AgentCore apps, which write to a sink and with which service."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Every step folder, in order; steps 5 and 6 are Lambdas (SAM) in front of step 4, the others AgentCore
# apps (agent.py).
STEPS = (
    "0_run_default_agentcore",
    "1_compute_without_model",
    "2_sqs_sink",
    "3_s3_sink",
    "4_dynamodb_sink",
    "5_api_gateway_proxy",
    "6_event_sources",
)
# The SAM steps (template.yaml, Lambda code; `sam validate --lint` and `sam build` check them).
SAM_STEPS = STEPS[5:]
AGENT_STEPS = STEPS[:5]
# The AgentCore apps that need no model (steps 1-4: what the demo, the load and fuzz runs serve).
PLAIN_STEPS = STEPS[1:5]
# Each sink step and the boto3 service it writes to.
SINKS = {"2_sqs_sink": "sqs", "3_s3_sink": "s3", "4_dynamodb_sink": "dynamodb"}
SINK_STEPS = tuple(SINKS)
# The steps `serve-local` starts a local world for.
SERVED_STEPS = STEPS


def step_dir(step: str) -> Path:
    """Return the folder of an AgentCore step by name (e.g. '2_sqs_sink'), or of examples/<name>."""
    path = ROOT / step
    if not (path / "agent.py").is_file():
        raise ValueError(f"no step folder with an agent.py: {step}")
    return path


def app_folder(flag: str, option: str) -> tuple[str, Path]:
    """Split a `NAME=STEP_FOLDER` flag (--runtime, --image): the folder as given (from here), else a folder of
    this checkout; ValueError naming the flag if it is malformed or the folder has no agent.py."""
    name, sep, folder = flag.partition("=")
    if not sep or not name or not folder:
        raise ValueError(f"{option} takes NAME=STEP_FOLDER, got {flag!r}")
    path = Path(folder) if Path(folder).is_dir() else ROOT / folder
    if not (path / "agent.py").is_file():
        raise ValueError(f"{option} {flag}: no agent.py in {path}")
    return name, path.resolve()
