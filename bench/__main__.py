"""`make bench`: run the sections, print the table, write bench/results.md."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from . import (
    cold,
    deploy_paths,
    durable,
    events,
    footprint,
    instructions,
    local_runtime,
    microvms,
    proxy,
    serving,
    sinks,
    warm,
)
from .context import Context
from .report import Section, python_command, render_markdown, render_text

SECTIONS: dict[str, Callable[[Context], Section]] = {
    "warm": warm.run,
    "instructions": instructions.run,
    "serving": serving.run,
    "deploy-paths": deploy_paths.run,
    "sinks": sinks.run,
    "cold": cold.run,
    "footprint": footprint.run,
    "proxy": proxy.run,
    "local_runtime": local_runtime.run,
    "events": events.run,
    "durable": durable.run,
    "microvms": microvms.run,
}
RESULTS = Path(__file__).resolve().parent / "results.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=7, help="rounds per measurement (default 7)")
    parser.add_argument("--duration", type=float, default=1.5, help="seconds measured per load run")
    parser.add_argument("--only", default="", help=f"comma-separated sections: {','.join(SECTIONS)}")
    parser.add_argument(
        "--skip-footprint", action="store_true", help="skip the install footprint (slow: pip installs)"
    )
    parser.add_argument(
        "--no-pin", action="store_true", help="do not give servers and load generators CPUs of their own"
    )
    parser.add_argument("--no-write", action="store_true", help=f"do not rewrite {RESULTS.name}")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()] or list(SECTIONS)
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    ctx = Context(
        rounds=args.rounds, duration=args.duration, footprint=not args.skip_footprint, pin=not args.no_pin
    )
    results: list[Section] = []
    start = time.perf_counter()
    try:
        for name in chosen:
            t0 = time.perf_counter()
            print(f"running {name} ...", file=sys.stderr, flush=True)
            section = SECTIONS[name](ctx)
            section.seconds = time.perf_counter() - t0
            results.append(section)
            print(render_text([section]), flush=True)
    finally:
        ctx.close()
    elapsed = time.perf_counter() - start
    if not args.no_write:
        RESULTS.write_text(render_markdown(results, python_command(), elapsed) + "\n", encoding="utf-8")
        print(f"\nwrote {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")
    print(f"total {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
