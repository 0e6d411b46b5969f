"""Async jobs, one feature in one folder: the model (pure), the settings, the store (DynamoDB) and the
runner on the runtime (`shared.jobs.runner`, which needs the AgentCore SDK, so it is imported by name and
never from here: a Lambda that reads jobs has no AgentCore SDK)."""

from .model import JobFinished, JobRecordInvalid, NewJob, job_view, parse_job_options
from .settings import JobSettings
from .store import JobStore

__all__ = [
    "JobFinished",
    "JobRecordInvalid",
    "JobSettings",
    "JobStore",
    "NewJob",
    "job_view",
    "parse_job_options",
]
