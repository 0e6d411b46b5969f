"""Managed session storage, locally: each session's own directory for its runtime's mount.

AgentCore's `filesystemConfigurations[].sessionStorage.mountPath` (preview; the developer guide's
runtime-persistent-filesystems page, read 2026-12-02) gives every session an empty directory at that path
on its first invocation, keeps it across StopRuntimeSession and the session's end (a new microVM for the
same runtimeSessionId finds the files), never shows it to another session, and starts afresh after a new
runtime version. Sessions here are processes on one machine, where a private mount at /mnt/... needs
privileges a data plane should not take: each session gets a directory of its own under the plane's
work directory instead, and learns where through SESSION_STORAGE_PATH, which the runtime's environment
sets to the mount path on AWS. The directories are kept by runtime ARN, runtime version and session id
and live as long as the data plane (AWS keeps them until 14 days unused: not modelled); other sessions
are not told the path, but the same OS user could read it (isolation by path, not by permission).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
from pathlib import Path

__all__ = ["MOUNT_PATH", "SessionStorage", "check_mount_path"]

# botocore's MountPath (bedrock-agentcore-control 2023-06-05): 6 to 200 characters, one level under /mnt.
MOUNT_PATH = re.compile(r"^/mnt/[a-zA-Z0-9._-]+/?$")


def check_mount_path(path: str) -> str:
    """A session storage mount path as the service accepts it, else ValueError saying what is expected."""
    if not 6 <= len(path) <= 200 or not MOUNT_PATH.match(path):
        raise ValueError(
            f"a session storage mount path is one directory under /mnt (6 to 200 characters, "
            f"e.g. /mnt/data), got {path!r}"
        )
    return path


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class SessionStorage:
    """The session directories of one data plane, by runtime, version and session id."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._versions: dict[str, str] = {}
        self._lock = threading.Lock()

    def directory(self, runtime_arn: str, version: str, session_id: str) -> Path:
        """The session's directory (created empty the first time); a new runtime version resets the
        runtime's directories."""
        runtime = self.root / _key(runtime_arn)
        with self._lock:
            if self._versions.get(runtime_arn, version) != version:
                for old in runtime.iterdir() if runtime.is_dir() else ():
                    if old.name != f"v-{_key(version)}":
                        shutil.rmtree(old, ignore_errors=True)
            self._versions[runtime_arn] = version
            path = runtime / f"v-{_key(version)}" / _key(session_id)
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path
