"""The cost model: list-price arithmetic for a Lambda-style workload on every AWS home that publishes its
rates, from the one price table next to it (prices.json: every rate with its source and the date read).

`workload` describes what runs; `model` prices it on Lambda and AgentCore and gathers the other homes
(`tenancy`, `durable`, `microvms`); `report_lines` reads Lambda REPORT lines into a workload; `table` and
`plot` show the answer, `measured` prices usage measured locally; `cost-model` is the command.
"""

from .durable import DURABLE_PATTERNS, DurableJob
from .microvms import MICROVM_PATTERNS, IdlePolicy, baseline_gb
from .model import ARCHITECTURES, PATTERNS, VERSIONS, Homes, compare
from .numbers import figure
from .prices import (
    MB_PER_GB,
    PRICES_FILE,
    agentcore_session_cost,
    durable_cost,
    load_prices,
    microvm_cost,
    tenant_environment_cost,
)
from .report_lines import Parsed, Report, ReportError, parse_files, parse_text
from .run import Run
from .table import CAVEAT, render
from .tenancy import TENANT_PATTERNS, Tenancy
from .workload import NO_STARTUP, Request, Startup, Workload, profile_workload

__all__ = [
    "ARCHITECTURES",
    "CAVEAT",
    "DURABLE_PATTERNS",
    "MB_PER_GB",
    "MICROVM_PATTERNS",
    "NO_STARTUP",
    "PATTERNS",
    "PRICES_FILE",
    "TENANT_PATTERNS",
    "VERSIONS",
    "DurableJob",
    "Homes",
    "IdlePolicy",
    "Parsed",
    "Report",
    "ReportError",
    "Request",
    "Run",
    "Startup",
    "Tenancy",
    "Workload",
    "agentcore_session_cost",
    "baseline_gb",
    "compare",
    "durable_cost",
    "figure",
    "load_prices",
    "microvm_cost",
    "parse_files",
    "parse_text",
    "profile_workload",
    "render",
    "tenant_environment_cost",
]
