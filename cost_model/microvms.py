"""Lambda MicroVMs: one MicroVM per session, its baseline billed every running second, its snapshot stored
while suspended, under an idle policy (suspend after so long idle, terminate after so long suspended)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .prices import MB_PER_GB, load_prices, microvm_cost
from .workload import Session, Workload, session_sample, sessions

__all__ = ["MICROVM_PATTERNS", "IdlePolicy", "Lifecycle", "baseline_gb", "lifecycle", "microvms_monthly"]

# What happens after a session's last request (and in the gaps between its requests):
#   terminate_after_each: terminated at once (as AgentCore's StopRuntimeSession after each);
#   suspend_when_idle: runs idle `max_idle_s`, then suspended up to `suspended_s`, then terminated;
#   stay_running: never suspended; runs idle for the same `max_idle_s + suspended_s`, then terminated.
MICROVM_PATTERNS = ("terminate_after_each", "suspend_when_idle", "stay_running")


@dataclass(frozen=True)
class IdlePolicy:
    """RunMicrovm's idlePolicy: maxIdleDurationSeconds (at least 60) and suspendedDurationSeconds."""

    max_idle_s: float = 60.0
    suspended_s: float = (
        840.0  # with the 60 s idle: held 900 s after the last request, as AgentCore's default
    )

    @property
    def held_s(self) -> float:
        """How long a MicroVM is held after its last request before it is terminated."""
        return self.max_idle_s + self.suspended_s


@dataclass(frozen=True)
class Lifecycle:
    """One MicroVM's life under a pattern: what it is billed for."""

    running_s: float
    suspended_s: float
    suspends: int
    reads: int  # the launch, and each resume (or relaunch after a termination)


def baseline_gb(memory_mb: float, prices: dict[str, Any] | None = None) -> float:
    """The smallest MicroVM baseline (0.5, 1, 2, 4 or 8 GB) holding `memory_mb`; the largest above that."""
    sizes = sorted((prices or load_prices())["lambda_microvms"]["baseline_sizes_gb"])
    return float(next((gb for gb in sizes if gb * MB_PER_GB >= memory_mb), sizes[-1]))


def lifecycle(session: Session, gap_s: float, pattern: str, policy: IdlePolicy) -> Lifecycle:
    """The running and suspended time, suspends and snapshot reads of one session's MicroVM."""
    gaps = session.requests - 1
    busy = session.work_s - gaps * gap_s  # the requests themselves
    if pattern == "terminate_after_each":
        return Lifecycle(session.work_s, 0.0, 0, 1)
    if pattern == "stay_running":
        return Lifecycle(session.work_s + policy.held_s, 0.0, 0, 1)
    running, suspended, suspends, reads = busy + policy.max_idle_s, 0.0, 0, 1
    if policy.suspended_s > 0:  # 0: terminated at once, no snapshot kept
        suspended, suspends = policy.suspended_s, 1
    if gap_s > policy.max_idle_s:
        # Each gap: idle, then suspended (or terminated once suspended_s is up), then resumed or relaunched.
        kept = min(gap_s - policy.max_idle_s, policy.suspended_s)
        running += gaps * policy.max_idle_s
        suspended += gaps * kept
        suspends += gaps if policy.suspended_s > 0 else 0
        reads += gaps
    else:
        running += gaps * gap_s
    return Lifecycle(running, suspended, suspends, reads)


def microvms_monthly(
    workload: Workload, pattern: str, policy: IdlePolicy, prices: dict[str, Any] | None = None
) -> tuple[float, dict[str, float]]:
    """Return the USD a month of one MicroVM per session under `pattern`, and what it counted (a month)."""
    table = prices or load_prices()
    mv = table["lambda_microvms"]
    gb = baseline_gb(workload.peak_memory_mb, table)
    vcpu = gb * mv["vcpu_per_gb"]
    # A request computes on one vCPU: above a smaller baseline that is burst, up to 4x the baseline.
    burst_vcpu = max(0.0, min(1.0, mv["burst_factor"] * vcpu) - vcpu)
    groups = sessions(workload)
    per_sample = workload.monthly_requests / len(session_sample(workload))
    cost = running = suspended = suspends = reads = 0.0
    for session in groups:
        life = lifecycle(session, workload.session_gap_s, pattern, policy)
        above_gb = max(0.0, min(session.peak_memory_mb / MB_PER_GB, mv["burst_factor"] * gb) - gb)
        busy = session.work_s - (session.requests - 1) * workload.session_gap_s
        cost += microvm_cost(
            life.running_s,
            life.suspended_s,
            gb,
            suspends=life.suspends,
            snapshot_reads=life.reads,
            prices=table,
            burst_vcpu_seconds=burst_vcpu * session.cpu_s,
            burst_gb_seconds=above_gb * busy,
        )
        running += life.running_s
        suspended += life.suspended_s
        suspends += life.suspends
        reads += life.reads
    # One image stored all month (its snapshot taken as the baseline's size).
    image = gb * mv["snapshot_gb_hour"] * mv["hours_per_month"]
    counted = {
        "baseline_gb": gb,
        "baseline_vcpu": vcpu,
        "microvms_a_month": len(groups) * per_sample,
        "running_s_per_microvm": running / len(groups),
        "suspended_s_per_microvm": suspended / len(groups),
        "held_s_per_microvm": (running + suspended) / len(groups),
        "snapshot_writes_a_month": suspends * per_sample,
        "snapshot_reads_a_month": reads * per_sample,
        "image_gb_months": gb,
    }
    return float(cost * per_sample + image), counted
