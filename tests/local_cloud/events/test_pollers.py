"""A ReportBatchItemFailures response read as Lambda reads it."""

from __future__ import annotations

import pytest

from local_cloud.events.pollers import failed_ids

BATCH = {"m1", "m2"}


@pytest.mark.parametrize(
    ("response", "failed"),
    [
        (b'{"batchItemFailures": [{"itemIdentifier": "m2"}]}', {"m2"}),
        (b'{"batchItemFailures": []}', set()),
        (b'{"batchItemFailures": null}', set()),
        (b"{}", set()),
        (b"null", set()),
        (b"", set()),
        # Anything the service cannot read as a list of this batch's ids fails the whole batch.
        (b'{"batchItemFailures": [{"itemIdentifier": ""}]}', None),
        (b'{"batchItemFailures": [{"itemIdentifier": null}]}', None),
        (b'{"batchItemFailures": [{"messageId": "m1"}]}', None),
        (b'{"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]}', None),
        (b'{"batchItemFailures": "m1"}', None),
        (b"[1, 2]", None),
        (b"not json", None),
    ],
)
def test_failed_ids(response: bytes, failed: set[str] | None) -> None:
    assert failed_ids(response, BATCH) == failed
