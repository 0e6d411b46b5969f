"""The cost model: list-price arithmetic for a Lambda-style workload on every AWS home that publishes its
rates, from the one price table next to it (prices.json: every rate with its source and the date read).

`model` prices a workload, `report_lines` reads Lambda REPORT lines into one, `table` and `plot` show the
answer; `cost-model` is the command.
"""

from .model import ARCHITECTURES, PATTERNS, VERSIONS, Request, Workload, compare, profile_workload
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

__all__ = [
    "ARCHITECTURES",
    "CAVEAT",
    "MB_PER_GB",
    "PATTERNS",
    "PRICES_FILE",
    "VERSIONS",
    "Parsed",
    "Report",
    "ReportError",
    "Request",
    "Run",
    "Workload",
    "agentcore_session_cost",
    "compare",
    "durable_cost",
    "load_prices",
    "microvm_cost",
    "parse_files",
    "parse_text",
    "profile_workload",
    "render",
    "tenant_environment_cost",
]
