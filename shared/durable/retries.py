"""Retry strategies for durable steps that call AWS: retry what may pass, fail at once on the rest.

The SDK retries every exception a step raises when the step names no strategy (`RetryPresets.default()`: 6
attempts, permanent errors included), so a step that writes to AWS names this one. botocore retries each
call first (the clients' own standard mode); a step attempt fails only once those are spent, and the step's
retry then comes back in a new invocation, after a durable delay that bills no compute.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_durable_execution_sdk_python.config import Duration, JitterStrategy
from aws_durable_execution_sdk_python.retries import (
    RetryDecision,
    RetryPresets,
    RetryStrategyConfig,
    create_retry_strategy,
)

from ..aws.errors import is_transient

__all__ = ["NO_RETRY", "RetryStrategy", "transient_aws_retry"]

RetryStrategy = Callable[[Exception, int], RetryDecision]

# For steps that call nothing (a sum): a failure there is the input's or a bug, never the network's.
NO_RETRY: RetryStrategy = RetryPresets.none()


def transient_aws_retry(
    max_attempts: int = 8, initial_delay_seconds: int = 2, max_delay_seconds: int = 60
) -> RetryStrategy:
    """Retry throttling, 5xx and lost connections (shared.aws.errors.is_transient) with exponential backoff
    and full jitter, up to `max_attempts` attempts in all; anything else fails the step at once."""
    backoff = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=max_attempts,
            initial_delay=Duration.from_seconds(initial_delay_seconds),
            max_delay=Duration.from_seconds(max_delay_seconds),
            backoff_rate=2.0,
            jitter_strategy=JitterStrategy.FULL,
        )
    )

    def strategy(error: Exception, attempts_made: int) -> RetryDecision:
        return backoff(error, attempts_made) if is_transient(error) else RetryDecision.no_retry()

    return strategy
