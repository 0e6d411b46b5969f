"""Step 0: the default AgentCore agent: a Strands Agent with a Bedrock model on BedrockAgentCoreApp."""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from bedrock_agentcore.runtime import BedrockAgentCoreApp
from bedrock_agentcore.runtime.context import BedrockAgentCoreContext
from strands import Agent
from strands.agent.conversation_manager import SlidingWindowConversationManager
from strands.event_loop._retry import ModelRetryStrategy
from strands.models import BedrockModel
from strands.models.model import Model
from strands.types.exceptions import (
    ConcurrencyException,
    ContextWindowOverflowException,
    MaxTokensReachedException,
    ModelThrottledException,
)

from shared.errors import AppError, InvalidInput
from shared.model import (
    AgentBusy,
    ModelOutputTruncated,
    ModelSettings,
    ModelThrottled,
    exception_chain,
    model_error,
    parse_prompt_request,
)
from shared.runtime import MIDDLEWARE, error_response, exact_payload, json_response
from shared.serving import serve

logger = logging.getLogger("shared")

app = BedrockAgentCoreApp(middleware=MIDDLEWARE)

SYSTEM_PROMPT = "You are a helpful assistant. Answer clearly and concisely."
# botocore already retries throttling (standard mode); Strands retries once more, briefly, so a
# throttled request fails within seconds instead of the SDK default's minutes of backoff.
RETRY_ATTEMPTS = 2
RETRY_DELAY_SECONDS = 1

_agent: Agent | None = None
_settings: ModelSettings | None = None
_lock = threading.Lock()


def build_model(settings: ModelSettings) -> Model:
    """Return the Bedrock model client for MODEL_ID in the configured region."""
    return BedrockModel(
        model_id=settings.model_id,
        region_name=settings.region,
        boto_client_config=settings.client_config(),
    )


def get_agent() -> tuple[Agent, ModelSettings]:
    """Return this process's agent (built once, lazily) and the settings it was built with."""
    global _agent, _settings
    if _agent is not None and _settings is not None:
        return _agent, _settings
    with _lock:
        if _agent is None or _settings is None:
            settings = ModelSettings.from_env()
            _agent = Agent(
                model=build_model(settings),
                system_prompt=SYSTEM_PROMPT,
                # The conversation lives in this process, which on AgentCore is one session's microVM.
                conversation_manager=SlidingWindowConversationManager(window_size=20),
                retry_strategy=ModelRetryStrategy(
                    max_attempts=RETRY_ATTEMPTS, initial_delay=RETRY_DELAY_SECONDS, max_delay=2
                ),
                callback_handler=None,
            )
            _settings = settings
    return _agent, _settings


def reset_agent() -> None:
    """Forget the agent (tests that change MODEL_ID, the region or the model)."""
    global _agent, _settings
    with _lock:
        _agent = None
        _settings = None


def answer_text(message: dict[str, Any]) -> str:
    """Return the text of an assistant message, without the structure around it."""
    return "".join(block["text"] for block in message.get("content", []) if "text" in block)


def to_app_error(exc: BaseException, settings: ModelSettings | None) -> AppError:
    """Map anything the agent loop raised to one of our errors with a code and advice."""
    for cause in exception_chain(exc):
        if isinstance(cause, AppError):
            return cause
        if isinstance(cause, ConcurrencyException):
            return AgentBusy(
                "this session is still answering an earlier prompt; wait for it to finish, or use "
                "another runtime session id for a parallel conversation"
            )
        if isinstance(cause, ContextWindowOverflowException):
            return InvalidInput(
                "the prompt and the conversation so far exceed the model's context window; send a "
                "shorter prompt or start a new session",
                field="prompt",
            )
        if isinstance(cause, MaxTokensReachedException):
            return ModelOutputTruncated(
                "the model reached its output token limit before finishing; ask for a shorter answer"
            )
    if settings is not None:
        mapped = model_error(exc, settings)
        if mapped is not None:
            return mapped
    if any(isinstance(cause, ModelThrottledException) for cause in exception_chain(exc)):
        return ModelThrottled("Amazon Bedrock is throttling calls to this model after retries; retry later")
    return AppError("internal error; see the runtime logs for this request id")


def _snapshot(agent: Agent) -> list[Any]:
    return copy.deepcopy(agent.messages)


def _restore(agent: Agent, before: list[Any], exc: BaseException) -> None:
    """Put the conversation back as it was: a failed turn leaves its unanswered prompt behind."""
    # A refused concurrent call never touched the conversation, which the running call owns.
    if not any(isinstance(cause, ConcurrencyException) for cause in exception_chain(exc)):
        agent.messages[:] = before


def _fail(exc: BaseException, settings: ModelSettings | None) -> AppError:
    error = to_app_error(exc, settings)
    if error.status >= 500:
        logger.error("%s (%d): %s", error.code, error.status, error.message, exc_info=exc)
    else:
        logger.warning("%s (%d): %s", error.code, error.status, error.message)
    return error


@app.entrypoint
async def invoke(payload, context):
    """Answer {"prompt": "..."} with {"result": "<text>"}; with "stream": true, as server-sent events."""
    settings = _settings
    try:
        agent, settings = get_agent()
        request = parse_prompt_request(exact_payload(payload, context), settings.max_prompt_chars)
    except Exception as exc:
        return error_response(_fail(exc, settings))
    before = _snapshot(agent)
    try:
        if request.stream:
            return await _start_stream(agent, settings, request.prompt, before)
        result = await agent.invoke_async(request.prompt)
    except Exception as exc:
        _restore(agent, before, exc)
        return error_response(_fail(exc, settings))
    return json_response({"result": answer_text(result.message)})


async def _start_stream(
    agent: Agent, settings: ModelSettings, prompt: str, before: list[Any]
) -> AsyncIterator[dict[str, Any]]:
    """Run the agent up to its first text, so a failure before any output gets a real HTTP status."""
    events = agent.stream_async(prompt)
    pending: list[dict[str, Any]] = []
    try:
        while not pending or not ("data" in pending[-1] or "result" in pending[-1]):
            pending.append(await events.__anext__())
    except StopAsyncIteration:
        pass
    except BaseException:
        await events.aclose()
        raise
    return _sse(agent, events, pending, settings, before)


async def _sse(
    agent: Agent,
    events: AsyncGenerator[dict[str, Any], None],
    pending: list[dict[str, Any]],
    settings: ModelSettings,
    before: list[Any],
) -> AsyncIterator[dict[str, Any]]:
    """Yield {"data": "<text delta>"} events, then {"result": "<whole answer>"}; a failure as {"error"}."""

    async def everything() -> AsyncIterator[dict[str, Any]]:
        for event in pending:
            yield event
        async for event in events:
            yield event

    try:
        async for event in everything():
            if isinstance(event.get("data"), str):
                yield {"data": event["data"]}
            elif "result" in event:
                yield {"result": answer_text(event["result"].message)}
    except Exception as exc:
        # The 200 status line is already sent: the error envelope travels as the last event.
        await events.aclose()
        _restore(agent, before, exc)
        error = _fail(exc, settings)
        body = error.to_body()
        rid = BedrockAgentCoreContext.get_request_id()
        if rid:
            body["error"]["request_id"] = rid
        yield body
    finally:
        # Also on a client disconnect: closing the agent's stream releases its invocation lock.
        await events.aclose()


if __name__ == "__main__":
    serve(app)
