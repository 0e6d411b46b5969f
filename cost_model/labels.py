"""The words for each priced home and pattern, shared by the table and the plot's legend."""

from __future__ import annotations

from typing import Any

from .model import ARCHITECTURES, PATTERNS
from .numbers import figure
from .run import Run

__all__ = ["PATTERN_LABELS", "Series", "pick", "series"]

PATTERN_LABELS = {
    "stop_after_each": "StopRuntimeSession after each",
    "idle_60": "idle timeout 60 s (minimum)",
    "idle_default": "idle timeout 900 s (default)",
}
# A series: where its figure sits in the JSON (a key path) and its words.
Series = tuple[tuple[str, ...], str]


def pick(result: dict[str, Any], path: tuple[str, ...]) -> float:
    """The figure at `path` in a compare() result."""
    value: Any = result
    for key in path:
        value = value[key]
    return float(value)


def _tenancy(run: Run, result: dict[str, Any]) -> str:
    counted = result["counted"]["lambda_tenant_isolation"]
    if run.homes.tenancy.environments is not None:
        return f"{figure(run.homes.tenancy.environments)} new environments a month"
    words = f"a new environment per {figure(counted['requests_per_environment'])} requests"
    tenants = run.homes.tenancy.tenants
    return words + (f", at least 1 per tenant ({figure(tenants)})" if tenants > 1 else "")


def series(run: Run, result: dict[str, Any]) -> list[Series]:
    """Every priced home and pattern the run shows, in the table's order, with its words."""
    out: list[Series] = [(("lambda", arch), f"Lambda {arch}") for arch in ARCHITECTURES]
    tenant = "Lambda x86_64 with tenant isolation"
    out += [
        (("lambda_tenant_isolation", "estimated"), f"{tenant}, {_tenancy(run, result)}"),
        (("lambda_tenant_isolation", "every_request"), f"{tenant}, a new environment every request"),
    ]
    durable = f"Lambda durable {run.homes.architecture}"
    out += [
        (("lambda_durable", "wait_suspended"), f"{durable}, waits suspended (not billed)"),
        (("lambda_durable", "wait_in_step"), f"{durable}, waiting inside a step (billed)"),
    ]
    gb = figure(result["counted"]["microvms"]["terminate_after_each"]["baseline_gb"])
    policy = run.homes.idle_policy
    held = figure(policy.held_s)
    microvm = f"Lambda MicroVM {gb} GB"
    out += [
        (("microvms", "terminate_after_each"), f"{microvm}, terminated after each session"),
        (
            ("microvms", "suspend_when_idle"),
            f"{microvm}, suspended after {figure(policy.max_idle_s)} s idle (held {held} s)",
        ),
        (("microvms", "stay_running"), f"{microvm}, running idle (held {held} s)"),
    ]
    for version in run.versions:
        name = f"AgentCore {version.upper()}"
        out += [(("agentcore", version, p), f"{name}, {PATTERN_LABELS[p]}") for p in PATTERNS]
        out.append(
            (("agentcore_session_storage", version), f"{name}, stopped after every request, files kept")
        )
    return out
