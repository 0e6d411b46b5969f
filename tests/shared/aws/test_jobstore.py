"""The job store's conditional writes against moto's DynamoDB over HTTP: what each call leaves in the table.

Time is passed in (`now`), so a lease that ran out an hour ago takes no waiting.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from local_cloud.aws import EmbeddedAws
from commands.worlds import Resources
from shared.jobs.store import JobStore
from shared.core.errors import NotFound
from shared.jobs.model import (
    CANCELLED,
    SUCCEEDED,
    JobFinished,
    NewJob,
    job_from_item,
    key_item_id,
    new_job_id,
)
from shared.core.records import utc_now

LEASE = 3
LONG_AGO = utc_now() - timedelta(hours=1)


@pytest.fixture
def store(aws_env: EmbeddedAws, resources: Resources) -> JobStore:
    return JobStore(aws_env.client("dynamodb"), resources.table_name, ttl_days=1, lease_seconds=LEASE)


def items(aws_env: EmbeddedAws, resources: Resources) -> dict[str, dict[str, Any]]:
    scanned = aws_env.client("dynamodb").scan(TableName=resources.table_name, ConsistentRead=True)["Items"]
    return {i["id"]["S"]: {k: next(iter(v.values())) for k, v in i.items()} for i in scanned}


def a_job(key: str | None = None, caller: str | None = None, session: str = "s" * 40) -> NewJob:
    return NewJob(
        job_id=new_job_id(), a=7, b=2, request_id=str(uuid.uuid4()), session_id=session,
        idempotency_key=key, delay_seconds=1, caller=caller,
    )  # fmt: skip


def test_a_key_maps_to_one_random_job_id(store: JobStore, aws_env: EmbeddedAws, resources: Resources) -> None:
    first, created = store.submit(a_job("order-1"))
    again, created_again = store.submit(a_job("order-1"))

    assert (created, created_again) == (True, False)
    assert again["job_id"] == first["job_id"]
    stored = items(aws_env, resources)
    assert sorted(stored) == sorted([f"job#{first['job_id']}", key_item_id(None, "order-1")])
    assert stored[key_item_id(None, "order-1")]["job_id"] == first["job_id"]
    assert stored[f"job#{first['job_id']}"]["status"] == "PENDING"
    assert (
        stored[f"job#{first['job_id']}"]["lease_expires_at"] > stored[f"job#{first['job_id']}"]["created_at"]
    )


def test_the_same_key_from_two_callers_is_two_jobs(store: JobStore) -> None:
    mine, _ = store.submit(a_job("order-1", caller="key:a"))
    theirs, created = store.submit(a_job("order-1", caller="key:b"))

    assert created and mine["job_id"] != theirs["job_id"]
    assert store.get(mine["job_id"], "key:a")["caller"] == "key:a"
    with pytest.raises(NotFound):
        store.get(mine["job_id"], "key:b")
    with pytest.raises(NotFound):
        store.get(mine["job_id"])  # the one tenant without auth is a caller too


def test_a_lost_job_is_started_again_under_its_id(store: JobStore) -> None:
    lost, _ = store.submit(a_job("order-2", session="old-" + "s" * 40), now=LONG_AGO)
    assert store.start(job_from_item(lost), now=LONG_AGO)

    again, run = store.submit(a_job("order-2", session="new-" + "s" * 40))

    assert run
    assert again["job_id"] == lost["job_id"]
    assert (again["status"], again["attempt"], again["session_id"]) == ("PENDING", 2, "new-" + "s" * 40)
    assert "started_at" not in again and "heartbeat_at" not in again
    # The first attempt's worker, if it ever comes back, may no longer write anything.
    first = job_from_item(lost)
    assert store.renew(first) is not None
    assert not store.finish(first, SUCCEEDED, result=9)


def test_twenty_concurrent_resubmissions_of_a_lost_job_start_it_once(store: JobStore) -> None:
    lost, _ = store.submit(a_job("order-3"), now=LONG_AGO)
    barrier = threading.Barrier(20)

    def resubmit(n: int) -> tuple[dict[str, Any], bool]:
        barrier.wait()
        return store.submit(a_job("order-3", session=f"s{n:02d}-" + "s" * 40))

    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(resubmit, range(20)))

    winners = [item for item, run in outcomes if run]
    assert len(winners) == 1
    assert {item["job_id"] for item, _ in outcomes} == {lost["job_id"]}
    assert {int(item["attempt"]) for item, _ in outcomes} == {2}
    assert store.get(lost["job_id"])["session_id"] == winners[0]["session_id"]


def test_a_key_whose_job_item_is_missing_gets_it_created(
    store: JobStore, aws_env: EmbeddedAws, resources: Resources
) -> None:
    # A submission that stopped between its two writes (or a job item that expired before its key's).
    orphan = new_job_id()
    aws_env.client("dynamodb").put_item(
        TableName=resources.table_name,
        Item={
            "id": {"S": key_item_id(None, "order-4")},
            "job_id": {"S": orphan},
            "item_type": {"S": "job_key"},
        },
    )

    job, run = store.submit(a_job("order-4"))

    assert run and job["job_id"] == orphan
    assert items(aws_env, resources)[f"job#{orphan}"]["status"] == "PENDING"


def test_a_worker_writes_only_while_it_holds_the_lease(store: JobStore) -> None:
    stored, _ = store.submit(a_job())
    job = job_from_item(stored)

    assert store.start(job)
    assert not store.start(job), "a job starts once"
    assert store.renew(job) is None
    # A final write after the lease ran out (readers may have shown JobLost) does not land.
    assert not store.finish(job, SUCCEEDED, now=utc_now() + timedelta(seconds=LEASE + 1), result=9)
    assert store.finish(job, SUCCEEDED, result=9, result_item_id=job.job_id)
    assert store.get(job.job_id)["status"] == SUCCEEDED


def test_cancel_marks_an_active_job_and_its_worker_sees_it(store: JobStore) -> None:
    stored, _ = store.submit(a_job(caller="key:a"))
    job = job_from_item(stored)
    assert store.start(job)

    cancelled = store.cancel(job.job_id, "key:a")

    assert cancelled["status"] == CANCELLED and cancelled["finished_at"]
    assert store.renew(job)["status"] == CANCELLED
    assert not store.finish(job, SUCCEEDED, result=9)
    assert store.get(job.job_id, "key:a")["status"] == CANCELLED


@pytest.mark.parametrize("how", ["succeeded", "cancelled", "lost"])
def test_cancelling_an_ended_job_is_a_conflict_naming_its_status(store: JobStore, how: str) -> None:
    stored, _ = store.submit(a_job(), now=LONG_AGO if how == "lost" else None)
    job = job_from_item(stored)
    if how == "succeeded":
        store.start(job)
        store.finish(job, SUCCEEDED, result=9, result_item_id=job.job_id)
    elif how == "cancelled":
        store.cancel(job.job_id)

    with pytest.raises(JobFinished) as refused:
        store.cancel(job.job_id, field="path.id")

    expected = {"succeeded": "SUCCEEDED", "cancelled": "CANCELLED", "lost": "FAILED"}[how]
    assert refused.value.status == 409 and refused.value.details["status"] == expected
    assert expected in refused.value.message and refused.value.field == "path.id"


@pytest.mark.parametrize("caller", [None, "key:b"])
def test_cancelling_an_unknown_or_another_callers_job_is_not_found(
    store: JobStore, caller: str | None
) -> None:
    stored, _ = store.submit(a_job(caller="key:a"))

    with pytest.raises(NotFound):
        store.cancel(stored["job_id"], caller)
    with pytest.raises(NotFound):
        store.cancel(new_job_id(), caller)
    assert store.get(stored["job_id"], "key:a")["status"] == "PENDING"


def test_a_job_without_a_key_is_always_new(
    store: JobStore, aws_env: EmbeddedAws, resources: Resources
) -> None:
    job = a_job()
    first, created = store.submit(job)
    replayed, created_again = store.submit(replace(job))

    assert (created, created_again) == (True, False)
    assert replayed["job_id"] == first["job_id"]
    assert list(items(aws_env, resources)) == [f"job#{job.job_id}"]
