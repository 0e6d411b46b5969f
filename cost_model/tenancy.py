"""Lambda with tenant isolation (`TenancyConfig` `PER_TENANT`): Lambda's own charges plus one charge per new
tenant-isolated execution environment, per GB of configured memory (x86_64: the only rate published)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .prices import load_prices, tenant_environment_cost
from .workload import LAMBDA_MIN_MEMORY_MB, Workload

__all__ = [
    "TENANT_ARCHITECTURE",
    "TENANT_PATTERNS",
    "Tenancy",
    "new_environments",
    "requests_per_environment",
]

# How many new environments a month: as estimated from what the user knows, or one for every request (each
# request from a tenant with no warm environment: the upper bound).
TENANT_PATTERNS = ("estimated", "every_request")
TENANT_ARCHITECTURE = "x86_64"


@dataclass(frozen=True)
class Tenancy:
    """What a user can know about their tenants: how many, and how often Lambda makes a new environment."""

    tenants: int = 1
    requests_per_environment: float | None = None  # None: the REPORT lines' cold starts, else the page's 50
    environments: float | None = None  # new tenant environments a month, when known (overrides the estimate)


def requests_per_environment(
    workload: Workload, tenancy: Tenancy, prices: dict[str, Any] | None = None
) -> float:
    """Requests per new environment: as given, else the sample's cold-start rate, else the page's 50."""
    if tenancy.requests_per_environment is not None:
        return tenancy.requests_per_environment
    cold = sum(r.cold for r in workload.sample)
    if cold:
        return len(workload.sample) / cold
    return float((prices or load_prices())["lambda_tenant_isolation"]["example_requests_per_environment"])


def new_environments(
    workload: Workload, tenancy: Tenancy, pattern: str, prices: dict[str, Any] | None = None
) -> float:
    """New tenant environments a month under `pattern` (at least one per tenant, at most one per request)."""
    if pattern == "every_request":
        return workload.monthly_requests
    if tenancy.environments is not None:
        return tenancy.environments
    estimate = workload.monthly_requests / requests_per_environment(workload, tenancy, prices)
    return min(workload.monthly_requests, max(float(tenancy.tenants), estimate))


def environment_memory_mb(workload: Workload) -> float:
    """The configured memory a new environment is charged for: the sample's mean (at least 128 MB)."""
    sizes = [max(r.lambda_memory_mb, LAMBDA_MIN_MEMORY_MB) for r in workload.sample]
    return sum(sizes) / len(sizes)


def tenant_charge(
    workload: Workload, tenancy: Tenancy, pattern: str, prices: dict[str, Any] | None = None
) -> tuple[float, float]:
    """Return the per-environment charges a month under `pattern`, and the environments counted."""
    count = new_environments(workload, tenancy, pattern, prices)
    return tenant_environment_cost(count, environment_memory_mb(workload), prices), count
