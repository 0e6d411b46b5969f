"""One MicroVMs plane per test module (step 1, the session counter, the hook app), durations / 60."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local_cloud.microvms import MicroVmsLocal
from tests.local_cloud.microvms.helpers import TIME_SCALE, images


@pytest.fixture(scope="module")
def microvms_plane() -> Iterator[MicroVmsLocal]:
    """A MicroVMs plane serving the test images in fork mode (the service's durations divided by 60)."""
    with MicroVmsLocal(images(), time_scale=TIME_SCALE, token_time_scale=TIME_SCALE, stop_grace=1.0) as plane:
        yield plane
