"""What a process used (CPU seconds, peak RSS), measured from outside it.

An ended process: the rusage its parent collects with wait4 (ru_utime + ru_stime; ru_maxrss, KiB on
Linux, bytes on macOS; for an exec'd child Linux counts the RSS it had before exec, a copy of its
parent's, so there the peak is the last VmHWM sample instead). A live one: /proc/<pid>/stat (utime +
stime) and /proc/<pid>/status (VmHWM, the peak resident set) on Linux; psutil elsewhere, whose RSS
is sampled, so its peak is the largest sample seen.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

__all__ = ["Measured", "from_rusage", "live"]


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_MAXRSS_BYTES = 1 if sys.platform == "darwin" else 1024  # ru_maxrss unit


@dataclass(frozen=True)
class Measured:
    """CPU seconds and peak resident memory (MB of 1,024 KiB) of one process."""

    cpu_seconds: float
    peak_rss_mb: float


def from_rusage(utime: float, stime: float, maxrss: int) -> Measured:
    """Measured from an ended child's rusage."""
    return Measured(utime + stime, maxrss * _MAXRSS_BYTES / (1024 * 1024))


def live(pid: int, peak_so_far: float = 0.0) -> Measured | None:
    """Measured from a running process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            # The command name (field 2) may hold spaces: count from the closing parenthesis.
            fields = stat.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            hwm_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return None
        return _live_psutil(pid, peak_so_far)
    except (OSError, StopIteration, IndexError, ValueError):
        return None
    cpu = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime (fields 14, 15)
    return Measured(cpu, max(hwm_kib / 1024, peak_so_far))


def _live_psutil(pid: int, peak_so_far: float) -> Measured | None:
    import psutil  # only where there is no /proc (macOS)

    try:
        proc = psutil.Process(pid)
        times, memory = proc.cpu_times(), proc.memory_info()
    except psutil.Error:
        return None
    return Measured(times.user + times.system, max(memory.rss / (1024 * 1024), peak_so_far))
