"""The rows `make demo` prints: what was sent, what came back, what landed."""

from __future__ import annotations

from dataclasses import dataclass, field

from cost_model.measured import AgentCoreSession, DurableExecution, MicroVmUsage


@dataclass
class Row:
    """One checked request of the demo."""

    step: str
    request: str
    response: str
    landed: str
    ok: bool


def print_rows(rows: list[Row]) -> None:
    """Print the rows with a PASS/FAIL mark each."""
    for row in rows:
        mark = "PASS" if row.ok else "FAIL"
        print(f"[{mark}] {row.step}")
        print(f"       request : {row.request}")
        print(f"       response: {row.response}")
        print(f"       landed  : {row.landed}")


@dataclass
class Usage:
    """What the demo's runs used, measured, for one table priced at list prices at the end."""

    agentcore: list[AgentCoreSession] = field(default_factory=list)
    microvms: list[MicroVmUsage] = field(default_factory=list)
    durable: list[DurableExecution] = field(default_factory=list)
