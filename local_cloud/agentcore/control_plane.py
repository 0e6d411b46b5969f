"""Runtimes deployed to the embedded AWS (moto's bedrock-agentcore-control), served with their own code.

For each runtime moto holds, the code is the artifact that was deployed:
- direct code deploy (`codeConfiguration.code.s3`): the zip in S3. It carries the dependencies as
  aarch64 wheels unpacked next to agent.py, which cannot run here, so every file listed in a
  `*.dist-info/RECORD` of the zip is left out (with the dist-info folders) and the project's own files
  run on this interpreter's packages. The module is the entry point's `.py` (`opentelemetry-instrument
  agent.py` -> agent); a session runs it as `python agent.py` with PORT set, as the service runs the
  entry point.
- a container (`containerConfiguration.containerUri`; moto's ECR holds no image): the source zip the
  starter toolkit uploaded for its CodeBuild build, found through the CodeBuild project whose buildspec
  pushes that repository (else the toolkit's own key, `<agent name>/source.zip` in
  `bedrock-agentcore-codebuild-sources-<account>-<region>`), then a `--runtime NAME=FOLDER` of the same
  name.
Each session also gets the embedded AWS's endpoint and test credentials (standing in for the execution
role) under the runtime's environmentVariables; its lifecycleConfiguration applies, and its
filesystemConfigurations' sessionStorage (kept by EmbeddedAws's patch: moto 5.2.5 drops the field).
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .runtimes import Lifecycle, RuntimeSpec
from .storage import check_mount_path
from .wire import ServiceError, runtime_arn, runtime_client_error

__all__ = ["ControlPlane", "dependency_files", "entry_module", "extract_project", "session_storage_mount"]

# How long a resolved runtime is trusted before its version is read again (a redeploy is seen after it).
REFRESH_SECONDS = 2.0
_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=3, read_timeout=30)


def dependency_files(archive: zipfile.ZipFile) -> set[str]:
    """Paths of a zip that belong to installed distributions (their RECORD files, dist-info folders)."""
    listed: set[str] = set()
    for name in archive.namelist():
        parts = PurePosixPath(name).parts
        if any(part.endswith(".dist-info") for part in parts):
            listed.add(name)
        if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "RECORD":
            for row in archive.read(name).decode("utf-8", "replace").splitlines():
                path = row.split(",", 1)[0].strip()
                if path:
                    listed.add(str(PurePosixPath(path)))
    return listed


def extract_project(data: bytes, into: Path, drop_dependencies: bool) -> Path:
    """Unzip an artifact into `into`, without its installed dependencies if asked; return `into`."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        skip = dependency_files(archive) if drop_dependencies else set()
        for info in archive.infolist():
            name = str(PurePosixPath(info.filename))
            if info.is_dir() or name in skip or "__pycache__" in PurePosixPath(name).parts:
                continue
            target = (into / name).resolve()
            if not target.is_relative_to(into.resolve()):
                raise ValueError(f"unsafe path in the artifact: {info.filename}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
    return into


def _account(runtime: Mapping[str, Any]) -> str:
    return str(runtime["agentRuntimeArn"]).split(":")[4]


def session_storage_mount(runtime: Mapping[str, Any]) -> str | None:
    """The mount path of a runtime's session storage (filesystemConfigurations), if it has one."""
    for configuration in runtime.get("filesystemConfigurations") or []:
        storage = configuration.get("sessionStorage")
        if storage:
            return check_mount_path(str(storage["mountPath"]))
    return None


def entry_module(entry_point: list[str]) -> str:
    """The module of a codeConfiguration entryPoint (the `.py` it runs)."""
    scripts = [part for part in entry_point if part.endswith(".py")]
    if not scripts:
        raise ValueError(f"no .py in the entry point {entry_point}")
    return str(PurePosixPath(scripts[-1]).with_suffix("")).replace("/", ".")


class ControlPlane:
    """Reads deployed runtimes from an embedded AWS endpoint and prepares their code for sessions."""

    def __init__(
        self,
        endpoint_url: str,
        region: str,
        workdir: Path,
        fallback: Mapping[str, RuntimeSpec] | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.workdir = workdir
        self.fallback = dict(fallback or {})
        # The credentials moto accepts; they stand in for the runtime's execution role.
        self.aws_env = {
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        session = boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            aws_session_token="testing",
            region_name=region,
        )
        self._clients = {
            name: session.client(name, endpoint_url=endpoint_url, config=_CONFIG)
            for name in ("bedrock-agentcore-control", "s3", "codebuild")
        }
        self._lock = threading.Lock()
        # ARN asked for -> (spec, runtime id, version, time read)
        self._cache: dict[str, tuple[RuntimeSpec, str, str, float]] = {}
        self._built: dict[tuple[str, str], RuntimeSpec] = {}

    def resolve(self, arn: str) -> RuntimeSpec | None:
        """The deployed runtime an ARN names (moto's `agent/...` ARN or `runtime/<id>`), or None."""
        with self._lock:
            cached = self._cache.get(arn)
            if cached and time.monotonic() - cached[3] < REFRESH_SECONDS:
                return cached[0]
            try:
                found = self._find(arn)
            except (BotoCoreError, ClientError) as exc:
                raise ServiceError(
                    "InternalServerException", 500, f"the embedded AWS did not answer: {exc}"
                ) from exc
            if found is None:
                self._cache.pop(arn, None)
                return None
            try:
                spec = self._spec(found)
            except (LookupError, ValueError, zipfile.BadZipFile, BotoCoreError, ClientError) as exc:
                # What the service answers when a runtime's container cannot start.
                raise runtime_client_error(f"the deployed runtime cannot run here: {exc}") from exc
            self._cache[arn] = (spec, found["agentRuntimeId"], found["agentRuntimeVersion"], time.monotonic())
            return spec

    def _find(self, arn: str) -> dict[str, Any] | None:
        control = self._clients["bedrock-agentcore-control"]
        summaries: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = control.list_agent_runtimes(**({"nextToken": token} if token else {}))
            summaries += page.get("agentRuntimes", [])
            token = page.get("nextToken")
            if not token:
                break
        for summary in summaries:
            runtime_id = summary["agentRuntimeId"]
            names = {summary["agentRuntimeArn"], runtime_arn(runtime_id, self.region, arn.split(":")[4])}
            # A moto without EmbeddedAws's patch (a bare moto_server) gives `agent/<uuid>:<n>` ARNs that carry
            # the version: an older one still names the runtime.
            moto_form = (
                ":agent/" in arn and arn.rsplit(":", 1)[0] == summary["agentRuntimeArn"].rsplit(":", 1)[0]
            )
            if arn in names or moto_form:
                return dict(control.get_agent_runtime(agentRuntimeId=runtime_id))
        return None

    def _spec(self, runtime: dict[str, Any]) -> RuntimeSpec:
        key = (runtime["agentRuntimeId"], runtime["agentRuntimeVersion"])
        if key in self._built:
            return self._built[key]
        name = runtime["agentRuntimeName"]
        folder, module, source = self._code(runtime)
        lifecycle = runtime.get("lifecycleConfiguration") or {}
        control = self._clients["bedrock-agentcore-control"]
        endpoints = control.list_agent_runtime_endpoints(agentRuntimeId=runtime["agentRuntimeId"])
        spec = RuntimeSpec(
            name=name,
            arn=runtime["agentRuntimeArn"],
            folder=folder,
            module=module,
            env={**self.aws_env, **(runtime.get("environmentVariables") or {})},
            lifecycle=Lifecycle(
                idle_timeout=lifecycle.get("idleRuntimeSessionTimeout"),
                max_lifetime=lifecycle.get("maxLifetime"),
            ),
            qualifiers=frozenset({"DEFAULT", *(e["name"] for e in endpoints.get("runtimeEndpoints", []))}),
            aliases=(runtime_arn(runtime["agentRuntimeId"], self.region, _account(runtime)),),
            source=source,
            session_storage=session_storage_mount(runtime),
            version=str(runtime["agentRuntimeVersion"]),
        )
        self._built[key] = spec
        return spec

    def _code(self, runtime: dict[str, Any]) -> tuple[Path, str, str]:
        artifact = runtime.get("agentRuntimeArtifact") or {}
        name = runtime["agentRuntimeName"]
        into = self.workdir / f"{name}-{runtime['agentRuntimeId']}-v{runtime['agentRuntimeVersion']}"
        if "codeConfiguration" in artifact:
            code = artifact["codeConfiguration"]
            s3 = code["code"]["s3"]
            data = self._get(s3["bucket"], s3["prefix"])
            if data is None:
                raise LookupError(f"the runtime's code is not in S3: s3://{s3['bucket']}/{s3['prefix']}")
            module = entry_module(list(code.get("entryPoint") or ["agent.py"]))
            folder = extract_project(data, into, drop_dependencies=True)
            return folder, module, f"code zip s3://{s3['bucket']}/{s3['prefix']}"
        uri = (artifact.get("containerConfiguration") or {}).get("containerUri", "")
        location = self._build_source(uri, runtime)
        if location is not None:
            bucket, key = location
            data = self._get(bucket, key)
            if data is not None:
                return (
                    extract_project(data, into, drop_dependencies=False),
                    "agent",
                    f"build source s3://{bucket}/{key}",
                )
        fallback = self.fallback.get(runtime["agentRuntimeName"])
        if fallback is None:
            raise LookupError(
                f"no source for the container {uri!r}: no CodeBuild source zip in the embedded AWS and no "
                f"--runtime {runtime['agentRuntimeName']}=FOLDER"
            )
        return fallback.folder, fallback.module, f"--runtime folder {fallback.folder}"

    def _build_source(self, uri: str, runtime: dict[str, Any]) -> tuple[str, str] | None:
        repository = uri.rsplit(":", 1)[0] if uri.count(":") else uri
        codebuild = self._clients["codebuild"]
        names = codebuild.list_projects().get("projects", [])
        if names and repository:
            for project in codebuild.batch_get_projects(names=names).get("projects", []):
                source = project.get("source", {})
                if repository in source.get("buildspec", "") and "/" in source.get("location", ""):
                    bucket, key = source["location"].split("/", 1)
                    return bucket, key
        # The starter toolkit's own bucket and key (CodeBuildService.upload_source).
        bucket = f"bedrock-agentcore-codebuild-sources-{_account(runtime)}-{self.region}"
        return bucket, f"{runtime['agentRuntimeName']}/source.zip"

    def _get(self, bucket: str, key: str) -> bytes | None:
        try:
            return bytes(self._clients["s3"].get_object(Bucket=bucket, Key=key)["Body"].read())
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "NoSuchBucket", "404"):
                return None
            raise
