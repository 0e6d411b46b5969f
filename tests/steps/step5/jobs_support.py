"""Helpers for the job fault and caller tests: one caller's calls to /jobs, and what the table holds."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local_cloud.apigw.auth import api_key_id
from local_cloud.aws import EmbeddedAws, dynamodb_item
from local_cloud.http import call

FINISHED = ("SUCCEEDED", "FAILED", "CANCELLED")


@dataclass(frozen=True)
class Caller:
    """One API key's calls to the local API Gateway."""

    base: str
    api_key: str

    @property
    def scope(self) -> str:
        """The caller the proxy names to the runtime for this key."""
        return f"key:{api_key_id(self.api_key)}"

    def send(self, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, Any, Any]:
        """One request with this caller's key: (status, headers, body)."""
        return call(f"{self.base}{path}", body, {"x-api-key": self.api_key, **headers}, method=method)

    def submit(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST /jobs: (status, the job or the error)."""
        status, _, answer = self.send("POST", "/jobs", body)
        return status, answer

    def view(self, job_id: str) -> tuple[int, dict[str, Any]]:
        """GET /jobs/{id}: (status, the job or the error)."""
        status, _, answer = self.send("GET", f"/jobs/{job_id}")
        return status, answer

    def poll(self, job_id: str, done: Callable[[dict[str, Any]], bool], timeout: float) -> dict[str, Any]:
        """GET the job until `done(view)`; fail after `timeout` seconds with the last view."""
        deadline = time.monotonic() + timeout
        while True:
            status, view = self.view(job_id)
            assert status == 200, view
            if done(view):
                return view
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id}: not done after {timeout} s; last seen {view}")
            time.sleep(0.1)


def job_record(aws: EmbeddedAws, table: str, job_id: str) -> dict[str, Any]:
    """The job's record as stored."""
    return dynamodb_item(aws, table, f"job#{job_id}")


def wait_record(
    aws: EmbeddedAws, table: str, job_id: str, check: Callable[[dict[str, Any]], bool], timeout: float
) -> dict[str, Any]:
    """Poll the job's record until `check(record)`."""
    deadline = time.monotonic() + timeout
    while True:
        record = job_record(aws, table, job_id)
        if record and check(record):
            return record
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id}: record still {record} after {timeout} s")
        time.sleep(0.05)


def result_items(aws: EmbeddedAws, table: str, job_id: str) -> list[dict[str, Any]]:
    """Every result item a job wrote (a job's items carry its id as their request id)."""
    scanned = aws.client("dynamodb").scan(
        TableName=table,
        ConsistentRead=True,
        FilterExpression="request_id = :r AND attribute_exists(#result)",
        ExpressionAttributeNames={"#result": "result"},
        ExpressionAttributeValues={":r": {"S": job_id}},
    )["Items"]
    return [{k: next(iter(v.values())) for k, v in i.items()} for i in scanned]


def lost(view: dict[str, Any]) -> bool:
    """A view of a job its session did not finish."""
    return view["status"] == "FAILED" and (view.get("error") or {}).get("code") == "JobLost"


def finished(view: dict[str, Any]) -> bool:
    """A view of a job that has ended, lost or not."""
    return view["status"] in FINISHED
