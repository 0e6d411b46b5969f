"""Helpers for step 0: its module loaded once, a scripted Strands model, SSE bodies parsed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from types import ModuleType
from typing import Any

from strands.models.model import Model

from commands.steps import ROOT
from harness.modules import load_module

STEP_DIR = ROOT / "0_run_default_agentcore"
TEST_MODEL_ID = "eu.amazon.nova-2-lite-v1:0"
TEST_REGION = "eu-west-1"


def load_step0() -> ModuleType:
    """Import 0_run_default_agentcore/agent.py once (its folder name is not a Python identifier)."""
    return load_module(STEP_DIR / "agent.py", "step0_agent")


class Fail:
    """A scripted turn that raises, optionally after streaming some text."""

    def __init__(self, exc: BaseException, after: list[str] | None = None) -> None:
        self.exc = exc
        self.after = after or []


class Hold:
    """A scripted turn that waits (without blocking the loop) until released, then answers."""

    def __init__(self, pieces: list[str]) -> None:
        import threading

        self.pieces = pieces
        self.entered = threading.Event()
        self.release = threading.Event()


class ScriptedModel(Model):
    """A Strands model that answers from a script of turns with canned stream events."""

    def __init__(self, *turns: Any) -> None:
        self.turns = list(turns)
        self.config: dict[str, Any] = {"model_id": "scripted"}
        self.requests: list[dict[str, Any]] = []

    def update_config(self, **model_config: Any) -> None:
        self.config.update(model_config)

    def get_config(self) -> dict[str, Any]:
        return self.config

    async def structured_output(self, *args: Any, **kwargs: Any) -> AsyncGenerator[dict[str, Any], None]:
        raise NotImplementedError("step 0 does not use structured output")
        yield {}

    async def stream(
        self, messages: Any, tool_specs: Any = None, system_prompt: str | None = None, **kwargs: Any
    ) -> AsyncGenerator[dict[str, Any], None]:
        self.requests.append({"messages": json.loads(json.dumps(messages)), "system_prompt": system_prompt})
        if not self.turns:
            raise AssertionError("the scripted model was called more often than scripted")
        turn = self.turns.pop(0)
        if isinstance(turn, BaseException):
            raise turn
        if isinstance(turn, Hold):
            turn.entered.set()
            for _ in range(1000):
                if turn.release.is_set():
                    break
                await asyncio.sleep(0.01)
            turn = turn.pieces
        pieces = turn.after if isinstance(turn, Fail) else turn
        yield {"messageStart": {"role": "assistant"}}
        yield {"contentBlockStart": {"start": {}}}
        for piece in pieces:
            yield {"contentBlockDelta": {"delta": {"text": piece}}}
        if isinstance(turn, Fail):
            raise turn.exc
        yield {"contentBlockStop": {}}
        yield {"messageStop": {"stopReason": "end_turn"}}
        yield {
            "metadata": {
                "usage": {"inputTokens": 1, "outputTokens": len(pieces), "totalTokens": 1 + len(pieces)},
                "metrics": {"latencyMs": 1},
            }
        }


def sse_events(text: str) -> list[dict[str, Any]]:
    """Parse a text/event-stream body into its JSON `data:` payloads."""
    return [json.loads(line[len("data: ") :]) for line in text.splitlines() if line.startswith("data: ")]
