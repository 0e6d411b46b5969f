"""A MicroVM as /_local/microvms shows it: who, when, why, and what it used and would cost.

`running_seconds` is the time its process could run (PENDING, RUNNING, SUSPENDING, TERMINATING and a
resume's hook: how the service bills PENDING and TERMINATING is not documented), `suspended_seconds` the
time it was stopped. `cost_usd` is `cost_model.microvm_cost` at the price table's MicroVMs rates: the
image's baseline (vCPU and memory) every running second, the snapshot's storage every suspended second,
a snapshot write per suspend and a read per launch or resume. `cpu_seconds` and `peak_rss_mb` are the
process's own (a forked MicroVM does not count the zygote's imports: a snapshot holds them already).
"""

from __future__ import annotations

from typing import Any

from cost_model import microvm_cost

from .models import MicroVm
from .wire import timestamp

__all__ = ["microvm_view"]


def microvm_view(vm: MicroVm) -> dict[str, Any]:
    """The MicroVM as JSON, with its usage and list price."""
    # Priced as shown: the seconds to the millisecond.
    running, suspended = (round(seconds, 3) for seconds in vm.seconds())
    measured = vm.measured()
    cost = microvm_cost(
        running, suspended, vm.image.memory_gb, suspends=vm.suspends, snapshot_reads=1 + vm.resumes
    )
    process = vm.process
    return {
        "microvm_id": vm.id,
        "image": vm.image.name,
        "image_arn": vm.image.arn,
        "state": vm.state,
        "state_reason": vm.state_reason,
        "pid": process.pid if process else None,
        "endpoint": vm.endpoint,
        "started_at": timestamp(vm.started_at),
        "terminated_at": timestamp(vm.terminated_at),
        "running_seconds": running,
        "suspended_seconds": suspended,
        "cpu_seconds": round(measured.cpu_seconds, 3),
        "peak_rss_mb": round(measured.peak_rss_mb, 1),
        "memory_gb": vm.image.memory_gb,
        "cost_usd": cost,
        "suspends": vm.suspends,
        "resumes": vm.resumes,
        "requests": vm.requests,
        "hooks": [call.view() for call in list(vm.hook_calls)],
        "exit": vm.exit.describe() if vm.exit else None,
        "log": str(vm.log) if vm.log else None,
    }
