"""Step 6's local world, once per worker for every step 6 module (they share one xdist group)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from commands.worlds import Step6Timings, Step6World, step6_world

# Step 4's job lease in this world: a lost job shows within seconds.
LEASE_SECONDS = 3
# Four receives before the DLQ: a message may be throttled, then find its job still running, then land.
TIMINGS = Step6Timings(max_receive_count=4)


@pytest.fixture(scope="session")
def step6() -> Iterator[Step6World]:
    """Step 6 running locally: sinks, step 4 (fork start mode, a 3 s job lease), the deployed template."""
    with step6_world(TIMINGS, lease_seconds=LEASE_SECONDS) as world:
        yield world
