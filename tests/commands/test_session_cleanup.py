"""`session-cleanup` as step 5's README gives it, at its smallest: 2 sessions each way, fork
start mode, a 2 s idle timeout in place of 60 s (the idle way waits that long for each session to end)."""

from __future__ import annotations

import re

from tests.commands.deploy.helpers import ROOT, bash, readme_block
from tests.helpers import script


def test_session_cleanup_prints_both_ways_with_their_usage() -> None:
    block = readme_block(ROOT / "5_api_gateway_proxy" / "README.md", "session-cleanup")
    [command] = [line.split("#")[0].strip() for line in block.splitlines() if "session-cleanup" in line]
    assert command == ".venv/bin/session-cleanup --requests 10 --start-mode spawn"
    command = command.replace(".venv/bin/session-cleanup", script("session-cleanup")).replace(
        "--requests 10", "--requests 2"
    )
    command = command.replace("--start-mode spawn", "--start-mode fork --idle-timeout 2")

    printed = bash(command, timeout=90).splitlines()

    assert printed[0] == "2 sessions each way, step 4 on the local data plane (fork start mode)"
    assert printed[1].split()[:6] == ["way", "ended", "session-s", "cpu-s", "peak", "MB"]
    rows = {line.split()[0]: line.split() for line in printed[2:4]}
    assert (rows["stop"][1], rows["idle"][1]) == ("stopped", "idle")
    # A session left alone lives its idle timeout; a stopped one ends with its answer.
    assert float(rows["idle"][2]) >= 2 > float(rows["stop"][2])
    for row in rows.values():
        assert row[5::2] == ["v1", "v2", "v1", "v2"], row
        per_request, per_million = [float(v.rstrip(",")) for v in row[6::2][:2]], float(row[10].rstrip(","))
        assert 0 < per_request[0] < per_request[1] and abs(per_million - per_request[0] * 1e6) <= 0.01, row
    assert re.fullmatch(r"StopRuntimeSession adds [\d.]+ ms per request \(p95 [\d.]+ ms\)", printed[4])
