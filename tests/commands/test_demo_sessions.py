"""`make demo`'s sessions part: the session counter as an AgentCore session (with session storage) and as a
Lambda MicroVM, through the same calls; what each kept is what each service keeps."""

from __future__ import annotations

import pytest

from commands.demo.sessions import run_sessions_demo


@pytest.mark.slow  # two planes, three cold AgentCore sessions, about 10 s on 2 cores
def test_each_home_keeps_what_its_service_keeps() -> None:
    rows = run_sessions_demo()

    assert [row.ok for row in rows] == [True] * 8, [row for row in rows if not row.ok]
    agentcore, microvm = rows[:4], rows[4:]
    # AgentCore: a new process after idle and after a stop, the file kept by session storage.
    assert agentcore[1].landed.startswith("memory 1 calls, file 2 calls, new pid")
    assert agentcore[2].landed.startswith("memory 1 calls, file 3 calls, new pid")
    # A MicroVM: the same process, memory and file, after idle and after a suspend.
    assert [row.landed for row in microvm[1:3]] == [
        "memory 2 calls, file 2 calls, same pid", "memory 3 calls, file 3 calls, same pid",
    ]  # fmt: skip
    assert agentcore[3].landed.startswith("3 processes") and microvm[3].landed.startswith("1 process")
    assert "V1 $" in agentcore[3].landed and "2 snapshots written, 3 read" in microvm[3].landed
