"""The pure job model: leases and JobLost, caller scope, key items, lifetimes; scoped session ids, job settings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from shared.core.errors import ConfigurationError, InvalidInput, NotFound
from shared.jobs.model import (
    JOB_LOST,
    JOB_MARGIN_SECONDS,
    KEY_ITEM_PREFIX,
    check_fits_lifetime,
    check_job_id,
    is_lost,
    job_view,
    key_item_id,
    lease_until,
    new_job_id,
    owned_job,
)
from shared.core.records import iso_utc, utc_now
from shared.runtime.sessions import scoped_session_id
from shared.jobs.settings import JobSettings

NOW = utc_now()


def record(status: str, lease_in: float | None, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "job_id": "j1",
        "status": status,
        "input_a": Decimal(7),
        "input_b": Decimal(2),
        "created_at": iso_utc(NOW - timedelta(seconds=60)),
        "updated_at": iso_utc(NOW - timedelta(seconds=60)),
        "attempt": Decimal(1),
        **extra,
    }
    if lease_in is not None:
        item["lease_expires_at"] = lease_until(NOW, lease_in)
    return item


@pytest.mark.parametrize("status", ["PENDING", "RUNNING"])
def test_an_active_job_whose_lease_ran_out_reads_as_lost(status: str) -> None:
    item = record(status, -0.001, heartbeat_at="2026-12-01T10:00:00.000Z")

    view = job_view(item, NOW)

    assert is_lost(item, NOW)
    assert view["status"] == "FAILED"
    assert view["error"]["code"] == JOB_LOST
    assert "session ended before the job finished" in view["error"]["message"]
    assert "2026-12-01T10:00:00.000Z" in view["error"]["message"]
    assert view["attempt"] == 1


@pytest.mark.parametrize(
    ("status", "lease_in"),
    [("RUNNING", 5), ("PENDING", 0.5), ("SUCCEEDED", -60), ("CANCELLED", -60), ("RUNNING", None)],
)
def test_live_finished_and_lease_less_jobs_read_as_they_are(status: str, lease_in: float | None) -> None:
    extra = {"result": Decimal(9), "result_item_id": "j1"} if status == "SUCCEEDED" else {}
    item = record(status, lease_in, **extra)

    assert not is_lost(item, NOW)
    assert job_view(item, NOW)["status"] == status
    assert "error" not in job_view(item, NOW)


def test_without_a_clock_the_view_is_the_record() -> None:
    assert job_view(record("RUNNING", -10))["status"] == "RUNNING"


def test_leases_compare_as_strings_the_way_times_do() -> None:
    earlier, later = lease_until(NOW, 0.999), lease_until(NOW, 1.001)

    assert earlier < later and len(earlier) == len(later) == len("2026-12-01T10:00:00.000Z")


def test_key_items_are_per_caller_and_key_and_never_a_job_id() -> None:
    ids = {
        key_item_id(None, "order-1"),
        key_item_id("key:a", "order-1"),
        key_item_id("key:b", "order-1"),
        key_item_id("key:a", "order-2"),
        # The parts cannot run into each other.
        key_item_id("a", "b:c"),
        key_item_id("a:b", "c"),
    }

    assert len(ids) == 6
    assert key_item_id("key:a", "order-1") == key_item_id("key:a", "order-1")
    assert key_item_id("", "k") == key_item_id(None, "k")
    for item_id in ids:
        assert item_id.startswith(KEY_ITEM_PREFIX)
        # GET /jobs/{id} reads "job#" + a valid id: a key item's id is never one.
        with pytest.raises(InvalidInput):
            check_job_id(item_id.removeprefix("job#"))


def test_job_ids_are_random_and_valid() -> None:
    ids = {new_job_id() for _ in range(100)}

    assert len(ids) == 100
    assert all(check_job_id(i) == i for i in ids)


def test_another_callers_job_is_the_same_not_found_as_no_job() -> None:
    item = record("RUNNING", 5, caller="key:a")

    with pytest.raises(NotFound) as theirs:
        owned_job(item, "key:b", "j1", "path.id")
    with pytest.raises(NotFound) as tenant:
        owned_job(item, None, "j1", "path.id")
    with pytest.raises(NotFound) as missing:
        owned_job(None, "key:b", "j1", "path.id")

    assert theirs.value.to_body() == tenant.value.to_body() == missing.value.to_body()
    assert owned_job(item, "key:a", "j1", "path.id") is item
    assert owned_job(record("RUNNING", 5), None, "j1", "f")["job_id"] == "j1"


@pytest.mark.parametrize(
    ("delay", "max_lifetime", "age", "fits"),
    [
        (0, 60, 0, True),
        (60 - JOB_MARGIN_SECONDS, 60, 0, True),
        (60 - JOB_MARGIN_SECONDS + 1, 60, 0, False),
        (10, 60, 45, False),
        (28_800, 28_800, 0, False),
    ],
)
def test_a_job_its_session_cannot_hold_is_refused(
    delay: int, max_lifetime: int, age: float, fits: bool
) -> None:
    if fits:
        check_fits_lifetime(delay, max_lifetime, age)
        return
    with pytest.raises(InvalidInput) as refused:
        check_fits_lifetime(delay, max_lifetime, age)

    assert refused.value.field == "delay_seconds"
    assert "maxLifetime" in refused.value.message and "RUNTIME_MAX_LIFETIME_SECONDS" in refused.value.message
    assert refused.value.details["max_delay_seconds"] == max(0, int(max_lifetime - age) - JOB_MARGIN_SECONDS)


def test_scoped_session_ids_are_stable_per_caller_and_apart_between_callers() -> None:
    secret, given = b"s" * 32, "conversation-0123456789abcdef0123456789"

    mine = scoped_session_id(secret, "key:a", given)

    assert mine == scoped_session_id(secret, "key:a", given)
    assert mine != scoped_session_id(secret, "key:b", given)
    assert mine != scoped_session_id(secret, None, given)
    assert mine != scoped_session_id(b"t" * 32, "key:a", given)
    assert given not in mine and 33 <= len(mine) <= 256


@pytest.mark.parametrize(
    ("env", "lease", "lifetime"),
    [({}, 30, 28_800), ({"JOB_LEASE_SECONDS": "3", "RUNTIME_MAX_LIFETIME_SECONDS": "120"}, 3, 120)],
)
def test_job_settings(env: dict[str, str], lease: int, lifetime: int) -> None:
    settings = JobSettings.from_env(env)

    assert (settings.lease_seconds, settings.max_lifetime) == (lease, lifetime)
    assert settings.heartbeat_seconds == lease / 3


@pytest.mark.parametrize("value", ["1", "901", "soon"])
def test_a_lease_outside_its_range_is_named(value: str) -> None:
    with pytest.raises(ConfigurationError) as bad:
        JobSettings.from_env({"JOB_LEASE_SECONDS": value})

    assert bad.value.details["variable"] == "JOB_LEASE_SECONDS"
