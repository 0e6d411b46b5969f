"""Step 0: the default AgentCore agent: a Strands Agent with a Bedrock model on BedrockAgentCoreApp."""

import copy
import functools

from bedrock_agentcore.runtime import BedrockAgentCoreApp
from strands import Agent, ModelRetryStrategy
from strands.agent.conversation_manager import SlidingWindowConversationManager
from strands.models import BedrockModel
from strands.types.exceptions import (
    ConcurrencyException,
    ContextWindowOverflowException,
    MaxTokensReachedException,
    ModelThrottledException,
)

from shared.agentcore import MIDDLEWARE, endpoint
from shared.agentcore.serving import serve
from shared.core.errors import AppError, InvalidInput, exception_chain
from shared.model.bedrock import (
    AgentBusy,
    ModelOutputTruncated,
    ModelSettings,
    ModelThrottled,
    model_error,
)
from shared.model.prompt import parse_prompt_request

app = BedrockAgentCoreApp(middleware=MIDDLEWARE)

SYSTEM_PROMPT = "You are a helpful assistant. Answer clearly and concisely."


def build_model(settings):
    """Return the Bedrock model client for MODEL_ID in the configured region."""
    return BedrockModel(
        model_id=settings.model_id, region_name=settings.region, boto_client_config=settings.client_config()
    )


@functools.cache
def get_agent():
    """Return this process's agent and its settings, built on first use.

    The entrypoint is async, so every call runs on the SDK's one event-loop thread: built once.
    """
    settings = ModelSettings.from_env()
    agent = Agent(
        model=build_model(settings),
        system_prompt=SYSTEM_PROMPT,
        # The conversation lives in this process, which on AgentCore is one session's microVM.
        conversation_manager=SlidingWindowConversationManager(window_size=20),
        # botocore already retries throttling (standard mode); Strands retries once more, briefly, so a
        # throttled request fails within seconds instead of the SDK default's minutes of backoff.
        retry_strategy=ModelRetryStrategy(max_attempts=2, initial_delay=1, max_delay=2),
        callback_handler=None,
    )
    return agent, settings


reset_agent = get_agent.cache_clear

# Strands' own exceptions as ours; Bedrock's are mapped by shared.model.bedrock.model_error.
STRANDS_ERRORS = {
    ConcurrencyException: lambda: AgentBusy(
        "this session is still answering an earlier prompt; wait for it to finish, or use another runtime "
        "session id for a parallel conversation"
    ),
    ContextWindowOverflowException: lambda: InvalidInput(
        "the prompt and the conversation so far exceed the model's context window; send a shorter prompt "
        "or start a new session",
        field="prompt",
    ),
    MaxTokensReachedException: lambda: ModelOutputTruncated(
        "the model reached its output token limit before finishing; ask for a shorter answer"
    ),
}


def translate(exc):
    """Map what the agent loop raised to our error with a code and advice (None: an internal error)."""
    for cause in exception_chain(exc):
        if isinstance(cause, AppError):
            return cause
        for kind, error in STRANDS_ERRORS.items():
            if isinstance(cause, kind):
                return error()
    try:
        mapped = model_error(exc, get_agent()[1])
    except AppError:
        mapped = None  # the settings themselves failed: that error was reported first
    if mapped is None and any(isinstance(c, ModelThrottledException) for c in exception_chain(exc)):
        mapped = ModelThrottled("Amazon Bedrock is throttling calls to this model after retries; retry later")
    return mapped


def answer_text(message):
    """Return the text of an assistant message, without the structure around it."""
    return "".join(block["text"] for block in message.get("content", []) if "text" in block)


def rollback(agent, before, exc):
    """Put the conversation back as it was: a failed turn leaves its unanswered prompt behind."""
    # A refused concurrent call never touched the conversation, which the running call owns.
    if not any(isinstance(cause, ConcurrencyException) for cause in exception_chain(exc)):
        agent.messages[:] = before


@app.entrypoint
@endpoint(translate=translate)
async def invoke(payload, context):
    """Answer {"prompt": "..."} with {"result": "<text>"}; with "stream": true, as server-sent events."""
    agent, settings = get_agent()
    request = parse_prompt_request(payload, settings.max_prompt_chars)
    before = copy.deepcopy(agent.messages)
    if request.stream:
        return stream(agent, request.prompt, before)
    try:
        result = await agent.invoke_async(request.prompt)
    except Exception as exc:
        rollback(agent, before, exc)
        raise
    return {"result": answer_text(result.message)}


async def stream(agent, prompt, before):
    """Yield {"data": "<text delta>"} events, then {"result": "<whole answer>"}."""
    events = agent.stream_async(prompt)
    try:
        async for event in events:
            if isinstance(event.get("data"), str):
                yield {"data": event["data"]}
            elif "result" in event:
                yield {"result": answer_text(event["result"].message)}
    except Exception as exc:
        rollback(agent, before, exc)
        raise
    finally:
        # Also on a client disconnect: closing the agent's stream releases its invocation lock.
        await events.aclose()


if __name__ == "__main__":
    serve(app)
