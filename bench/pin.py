"""`python -m bench.pin CPUS COMMAND...`: run COMMAND on the given CPUs only (e.g. `0` or `1,2,3`).

The servers and the load generator of a throughput run get CPUs of their own, so that a server's
requests/s measures the server, not how the scheduler shares two cores between it and its load.
"""

from __future__ import annotations

import os
import sys


def cpu_split() -> tuple[frozenset[int], frozenset[int]] | None:
    """Split this process's CPUs: the first for the server under test, the rest for the load."""
    if not hasattr(os, "sched_getaffinity"):
        return None  # not Linux: run unpinned
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    return frozenset(cpus[:1]), frozenset(cpus[1:])


def prefix(cpus: frozenset[int] | None) -> list[str]:
    """The command prefix that runs a command on `cpus` (nothing when unpinned)."""
    if not cpus:
        return []
    return [sys.executable, "-m", "bench.pin", ",".join(map(str, sorted(cpus)))]


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    os.sched_setaffinity(0, {int(c) for c in argv[0].split(",")})
    # exec keeps the pid, so the caller's Popen handle and /proc/<pid> stay valid.
    os.execvp(argv[1], argv[1:])
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
