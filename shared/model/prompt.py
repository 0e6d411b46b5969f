"""Step 0's request: {"prompt": "<text>", "stream": <optional boolean>}, validated (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.errors import AppError, InvalidInput
from ..core.validation import json_kind

__all__ = ["EXPECTED_PROMPT_SHAPE", "MAX_PROMPT_CHARS", "PromptRequest", "parse_prompt_request"]

MAX_PROMPT_CHARS = "MAX_PROMPT_CHARS"
EXPECTED_PROMPT_SHAPE = '{"prompt": "<text>", "stream": <optional boolean>}'


@dataclass(frozen=True)
class PromptRequest:
    """A validated step 0 request."""

    prompt: str
    stream: bool


def _invalid_prompt(message: str, field: str) -> AppError:
    return InvalidInput(
        f"{message}; expected {EXPECTED_PROMPT_SHAPE}", field=field, expected=EXPECTED_PROMPT_SHAPE
    )


def parse_prompt_request(payload: Any, max_prompt_chars: int) -> PromptRequest:
    """Validate {"prompt": "<text>", "stream": <bool>} or raise InvalidInput naming the field."""
    if not isinstance(payload, dict):
        raise _invalid_prompt("the payload must be a JSON object", "$")
    if "prompt" not in payload:
        raise _invalid_prompt("prompt is missing", "prompt")
    prompt = payload["prompt"]
    if not isinstance(prompt, str):
        raise _invalid_prompt(f"prompt must be a string, got {json_kind(prompt)}", "prompt")
    if not prompt.strip():
        raise _invalid_prompt("prompt is empty", "prompt")
    if len(prompt) > max_prompt_chars:
        raise _invalid_prompt(
            f"prompt has {len(prompt)} characters, more than the limit of {max_prompt_chars} "
            f"(set by {MAX_PROMPT_CHARS})",
            "prompt",
        )
    stream = payload.get("stream", False)
    if not isinstance(stream, bool):
        raise _invalid_prompt(f"stream must be true or false, got {json_kind(stream)}", "stream")
    return PromptRequest(prompt=prompt, stream=stream)
