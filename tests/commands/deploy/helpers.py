"""Helpers for the deploy tests: a scratch checkout, offline subprocesses, the CLIs, what was uploaded."""

from __future__ import annotations

import glob
import io
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from commands.deploy import STEPS, plan
from commands.wheelhouse import wheelhouse
from local_cloud.agentcore import AgentCoreLocal

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
# Steps every deploy test covers, and how each answers {"prompt": {"a": 1, "b": 2}} (step 0: a text prompt).
GOOD = {
    "0_run_default_agentcore": ({"prompt": "Hello"}, {"result": "Hello from Bedrock"}),
    "1_compute_without_model": ({"prompt": {"a": 1, "b": 2}}, {"result": 3}),
    "2_sqs_sink": ({"prompt": {"a": 1, "b": 2}}, {"result": 3, "message_sent": True}),
    "3_s3_sink": ({"prompt": {"a": 1, "b": 2}}, {"result": 3, "s3_stored": True}),
    "4_dynamodb_sink": ({"prompt": {"a": 1, "b": 2}}, {"result": 3, "dynamodb_stored": True}),
}
BAD = {step: {"prompt": {"a": "1", "b": 2}} for step in GOOD} | {"0_run_default_agentcore": {"prompt": ""}}
# Planted in the staged folder before a deploy: none of it may reach an uploaded artifact.
DECOYS = ("tests/test_secret.py", ".venv/bin/python", ".git/HEAD", ".env")


@dataclass
class Target:
    """An AWS to deploy into, the roles stack's outputs there and the environment the CLIs run with."""

    name: str
    roles_stack: str
    outputs: dict[str, str]
    env: dict[str, str]  # for agentcore, sam and make deploy
    client: Callable[[str], Any]
    step_env: dict[str, str] = field(default_factory=dict)  # for a step served locally (embedded only)
    extra_names: dict[str, str] = field(default_factory=dict)  # roles stack agent names (aws only)

    @property
    def embedded(self) -> bool:
        """Whether this is the embedded AWS (invocations then go through a local data plane)."""
        return self.name == "embedded"


def closed_port() -> socket.socket:
    """A loopback socket that is bound but never listens: connecting to it is refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def find_python(version: str) -> tuple[str | None, str]:
    """A pythonX.Y for `sam build` (a template's runtime), and where it was found (or why none was)."""
    name = f"python{version}"
    found = shutil.which(name)
    if found and subprocess.run([found, "-V"], capture_output=True, check=False).returncode == 0:
        return found, "PATH"
    for candidate in sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}*/bin/{name}"))):
        return candidate, "pyenv's versions folder"
    uv = subprocess.run(
        [str(BIN / "uv"), "python", "find", version], capture_output=True, text=True, check=False
    )
    if uv.returncode == 0 and uv.stdout.strip():
        return uv.stdout.strip(), "uv python find"
    return None, f"no {name} on PATH, in ~/.pyenv/versions or from `uv python find {version}`"


def staged_sam_env(scratch: Path, proxy_port: int, *folders: str) -> dict[str, str]:
    """Stage SAM folders of the scratch checkout; fake credentials and a region for SAM (it never calls AWS
    here), offline."""
    subprocess.run(
        [sys.executable, "-m", "commands.stage", *folders], cwd=scratch, check=True, capture_output=True
    )
    env = base_env(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "SAM_CLI_TELEMETRY": "0",
        }
    )
    return offline(env, proxy_port)


def offline(env: Mapping[str, str], proxy_port: int) -> dict[str, str]:
    """Return env that lets a subprocess reach loopback only, and builds from the wheelhouse.

    Any request that would leave the machine goes to a proxy port nobody listens on, so it fails
    loudly instead of quietly reaching the package index or AWS.
    """
    proxy = f"http://127.0.0.1:{proxy_port}"
    wheels = str(wheelhouse())
    return {
        **env,
        **{name: proxy for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY")},
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "UV_OFFLINE": "1",
        "UV_NO_INDEX": "1",
        "UV_FIND_LINKS": wheels,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": wheels,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def base_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without AWS settings, the venv's tools first on PATH, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BEDROCK_AGENTCORE_"))}
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    env["VIRTUAL_ENV"] = sys.prefix
    # Rich wraps at 80 columns when not on a terminal; a wide console keeps JSON answers on one line.
    env["COLUMNS"] = "400"
    # What the READMEs' activation line sets: the toolkit's banner is noise in every run of ours.
    env["AGENTCORE_SUPPRESS_RECOMMENDATION"] = "1"
    env.pop("PYTHONPATH", None)
    return {**env, **extra}


def run(
    args: list[str], cwd: Path, env: Mapping[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run a command as a user would; stdout and stderr together."""
    return subprocess.run(
        args,
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


def agentcore(*args: str) -> list[str]:
    """The starter toolkit's CLI from this venv (the npm AgentCore CLI is also called agentcore)."""
    return [str(BIN / "agentcore"), *args]


def checkout(into: Path) -> Path:
    """Copy the working tree's tracked and unignored files into a fresh git repository; return its root."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if name.startswith("images/") or not source.is_file():
            continue  # diagrams are large and unused here; deleted files are still listed
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    git = ["git", "-c", "user.name=deploy tests", "-c", "user.email=tests@localhost"]
    subprocess.run([*git, "init", "-q"], cwd=into, check=True)
    subprocess.run([*git, "add", "-A"], cwd=into, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "scratch checkout"], cwd=into, check=True)
    return into


def git_status(root: Path) -> list[str]:
    """`git status --porcelain` lines (untracked files listed one by one)."""
    out = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.splitlines()


def plant_decoys(folder: Path) -> list[str]:
    """Write files a build context must never ship (tests, a venv, git metadata, a secrets file)."""
    for name in DECOYS:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("AWS_SECRET_ACCESS_KEY=do-not-ship\n")
    return [f"{folder.name}/{name}" for name in DECOYS]


def printed_json(output: str, marker: str = "Response:") -> Any:
    """The JSON document the CLI printed after `marker`."""
    tail = output.split(marker, 1)[1].strip()
    value, _ = json.JSONDecoder().raw_decode(tail)
    return value


def zip_names(data: bytes) -> list[str]:
    """The member names of a zip archive."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.namelist()


def uploaded_artifact(clients: Any, runtime: Mapping[str, Any], agent_name: str) -> list[str]:
    """Names in what the toolkit uploaded: the direct code deploy zip, or the CodeBuild source zip."""
    s3 = clients("s3")
    code = runtime["agentRuntimeArtifact"].get("codeConfiguration")
    if code is not None:
        location = code["code"]["s3"]
        bucket, key = location["bucket"], location["prefix"]
    else:
        project = f"bedrock-agentcore-{agent_name}-builder"
        source = clients("codebuild").batch_get_projects(names=[project])["projects"][0]["source"]
        bucket, key = source["location"].split("/", 1)
    return zip_names(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def top_level(names: list[str]) -> set[str]:
    """First path component of each member (a file at the top, or a folder)."""
    return {name.split("/", 1)[0] for name in names}


def expected_settings(step: str, outputs: Mapping[str, str]) -> dict[str, str]:
    """The environment variables `make deploy` gives the step's runtime."""
    spec = STEPS[step]
    return {**{var: outputs[out] for var, out in spec.env_outputs.items()}, **spec.env}


def lifecycle(idle: int | None, lifetime: int | None) -> dict[str, int]:
    """The runtime's lifecycleConfiguration for these settings (none given: the service's defaults)."""
    got = {}
    if idle is not None:
        got["idleRuntimeSessionTimeout"] = idle
    if lifetime is not None:
        got["maxLifetime"] = lifetime
    return got


def deploy_command(
    step: str, deployment_type: str, roles_stack: str, extra: tuple[str, ...] = ()
) -> list[str]:
    """`make deploy STEP=<step> TYPE=<type> ROLES_STACK=<stack>` without make (see test_make_deploy_is_it)."""
    return [
        sys.executable, "-m", "commands.deploy", step,
        "--deployment-type", deployment_type, "--roles-stack", roles_stack, *extra,
    ]  # fmt: skip


def printed_commands(
    step: str, outputs: Mapping[str, str], deployment_type: str, extra: tuple[str, ...]
) -> list[str]:
    """The lines `make deploy` prints before it runs each agentcore command."""

    def value(flag: str) -> str | None:
        return extra[extra.index(flag) + 1] if flag in extra else None

    idle, life = value("--idle-timeout"), value("--max-lifetime")
    the_plan = plan(
        step,
        outputs,
        deployment_type,
        int(idle) if idle else None,
        int(life) if life else None,
        value("--name"),
    )
    return [f"+ {line}" for line in the_plan.lines()]


@dataclass
class DataPlane:
    """A data plane the toolkit's `agentcore invoke` reaches through BEDROCK_AGENTCORE_DP_ENDPOINT."""

    endpoint_url: str | None  # None: the real service
    env: dict[str, str] = field(default_factory=dict)


@contextmanager
def local_data_plane(
    folder: Path, runtime: Mapping[str, Any], aws_env: Mapping[str, str], extra_env: Mapping[str, str]
) -> Iterator[DataPlane]:
    """Serve InvokeAgentRuntime for a runtime deployed into the embedded AWS, as the service would.

    local_cloud.agentcore reads the runtime from the embedded AWS's control plane and runs the code
    `agentcore deploy` uploaded (the CodeBuild source zip, or the direct code deploy zip without its
    aarch64 wheels), one process per session, with the runtime's environment variables on top of
    `aws_env` and `extra_env`; `folder` (the staged copy) is not what runs.
    """
    assert folder.is_dir()
    assert runtime["agentRuntimeArn"]
    base = {**os.environ, **aws_env, **extra_env}
    with AgentCoreLocal(aws_endpoint=aws_env["AWS_ENDPOINT_URL"], base_env=base) as plane:
        yield DataPlane(plane.endpoint_url, plane.env())


def landed_record(clients: Any, step: str, settings: Mapping[str, str], answer: Mapping[str, Any]) -> Any:
    """What the step's sink holds for this answer: the SQS body, the S3 object, the DynamoDB item."""
    if step == "2_sqs_sink":
        got = clients("sqs").receive_message(
            QueueUrl=settings["SQS_QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=2
        )
        bodies = [json.loads(m["Body"]) for m in got.get("Messages", [])]
        return next(b for b in bodies if b["request_id"] == answer["request_id"])
    if step == "3_s3_sink":
        obj = clients("s3").get_object(Bucket=settings["S3_BUCKET_NAME"], Key=answer["s3_key"])
        return json.loads(obj["Body"].read())
    if step == "4_dynamodb_sink":
        item = clients("dynamodb").get_item(
            TableName=settings["DYNAMODB_TABLE_NAME"],
            Key={"id": {"S": answer["item_id"]}},
            ConsistentRead=True,
        )["Item"]
        return {"result": int(item["result"]["N"]), "id": item["id"]["S"]}
    return None


def readme_block(path: Path, containing: str) -> str:
    """The first ```bash block of a README that contains the given text."""
    for block in re.findall(r"```bash\n(.*?)```", path.read_text(encoding="utf-8"), re.S):
        if containing in block:
            return str(block)
    raise AssertionError(f"no bash block with {containing!r} in {path}")


def readme_script(block: str, moto_port: int, marker: str = "@@@") -> str:
    """Turn a README's local-run block into one bash script that runs it unattended.

    What changes, and nothing else: moto's port 5000 becomes a free one; `.venv/bin/` is this venv's;
    `make stage STEP=x` runs what that target runs (tests/deploy/test_readme_commands.py checks it);
    `agentcore dev` runs in the background until its app has started, and `invoke --dev` goes to the port it
    chose (it moves off 8080 by itself when 8080 is taken, and says so); background jobs end with the script.
    Each command's output follows a `@@@ <command>` line.
    """
    prefix = f"{sys.prefix}/bin"
    lines = ["set -e", "DEV_LOG=$(mktemp)"]
    for raw in block.replace("\\\n", " ").splitlines():
        line = re.sub(r"\s+#.*$", "", raw).strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        line = line.replace("5000", str(moto_port)).replace(".venv/bin/", f"{prefix}/")
        line = re.sub(r"make stage STEP=(\S+)", rf"{prefix}/python -m commands.stage \1", line)
        lines.append(f"echo {shlex.quote(f'{marker} {line}')}")
        if line.endswith("agentcore dev"):
            lines.append(f'{line[: -len("agentcore dev")]}agentcore dev > "$DEV_LOG" 2>&1 &')
            lines.append(
                # The reloader prints "Uvicorn running on" before its worker has imported the app.
                'for i in $(seq 600); do grep -q "Application startup complete" "$DEV_LOG" && break; sleep 0.1; done; '
                'cat "$DEV_LOG"; '
                'DEV_PORT=$(grep -o "Uvicorn running on http://[0-9.]*:[0-9]*" "$DEV_LOG" | head -1 | sed "s/.*://")'
            )
        elif "agentcore invoke --dev" in line:
            lines.append(line.replace("agentcore invoke --dev", 'agentcore invoke --dev --port "$DEV_PORT"'))
        elif line.endswith("&") and "moto_server" in line:
            lines.append(line)
            lines.append(
                f"for i in $(seq 300); do curl -s -o /dev/null http://127.0.0.1:{moto_port}/ && break; sleep 0.1; done"
            )
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def split_output(output: str, marker: str = "@@@") -> dict[str, str]:
    """The output of a readme_script run, by command (its first word after the marker, with the rest)."""
    parts: dict[str, str] = {}
    for chunk in output.split(f"{marker} ")[1:]:
        command, _, rest = chunk.partition("\n")
        parts[command] = rest
    return parts


def bash(script: str, cwd: Path = ROOT, env: Mapping[str, str] | None = None, timeout: float = 60) -> str:
    """Run README lines as one `bash -e` script; its stdout (a failure shows stdout and stderr).

    Without `env`: this process's environment without AWS settings.
    """
    if env is None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        ["bash", "-ec", script], cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{script}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def readme_commands(block: str) -> list[str]:
    """A README block's commands: continuation lines joined, comments and blank lines dropped."""
    joined = re.sub(r"\\\n\s*", "", block)
    lines = (re.sub(r"\s+#.*$", "", line).strip() for line in joined.splitlines())
    # The venv's activation (the tests put .venv/bin first on PATH and set the banner variable themselves).
    return [line for line in lines if line and not line.startswith(("#", "source .venv/bin/activate"))]


def out_helper(roles_stack: str) -> str:
    """infra/README.md's `out` shell function (`aws cloudformation describe-stacks --query ...`) for a stack."""
    block = readme_block(ROOT / "infra" / "README.md", "out() {")
    [helper] = [line for line in readme_commands(block) if line.startswith("out() {")]
    assert "--stack-name agentcore-lambda-roles" in helper, helper
    return helper.replace("--stack-name agentcore-lambda-roles", f"--stack-name {roles_stack}")


def local_sqs(command: str, embedded: bool) -> str:
    """An `aws sqs` command with `--endpoint-url "$AWS_ENDPOINT_URL"` for the embedded AWS.

    AWS CLI v1 sends SQS requests to the queue URL's legacy endpoint (queue.amazonaws.com), whatever
    AWS_ENDPOINT_URL says; every other service here honours it. The READMEs say so where they use it.
    """
    if not embedded or not command.startswith("aws sqs "):
        return command
    return command.replace("aws sqs ", 'aws sqs --endpoint-url "$AWS_ENDPOINT_URL" ', 1)
