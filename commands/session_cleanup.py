"""What a session opened for one request costs, ended at once or left to its idle timeout: the measurement
behind step 5's choice (StopRuntimeSession after the answer), from the local data plane's usage report.

`session-cleanup` invokes step 4 (a real DynamoDB write on the embedded AWS) in a new
session per request, as the proxy does for a request without X-Session-Id, two ways:
- stop: StopRuntimeSession right after the answer; the latency it adds is timed around that call;
- idle: nothing, the session ends at `--idle-timeout` (60 s, the service's minimum).
Then it reads `/_local/sessions` for each session's session-seconds, CPU, peak memory and list price.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from typing import Any

from local_cloud.agentcore import AgentCoreLocal, runtime_arn
from local_cloud.aws import EmbeddedAws

from .worlds import create_sinks, step_runtime

RUNTIME = "session_cleanup_step4"


def _client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "bedrock-agentcore", region_name="us-east-1", endpoint_url=endpoint,
        aws_access_key_id="local", aws_secret_access_key="local",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=60),
    )  # fmt: skip


def _invoke(client: Any, arn: str, session: str) -> float:
    started = time.perf_counter()
    answer = client.invoke_agent_runtime(
        agentRuntimeArn=arn, runtimeSessionId=session, payload=b'{"prompt": {"a": 1, "b": 2}}'
    )
    answer["response"].read()
    return time.perf_counter() - started


def measure(requests: int, idle_timeout: float, start_mode: str) -> dict[str, Any]:
    """Run both ways; return per-way medians (ms, session-seconds, USD per request) and the raw sessions."""
    arn = runtime_arn(RUNTIME)
    with EmbeddedAws() as aws:
        resources = create_sinks(aws)
        spec = step_runtime(RUNTIME, "4_dynamodb_sink", {**aws.env(), **resources.env()})
        with AgentCoreLocal([spec], idle_timeout=idle_timeout, start_mode=start_mode) as plane:
            client = _client(plane.endpoint_url)
            _invoke(client, arn, f"warm-up-{uuid.uuid4()}")  # the zygote's import, not a session's
            ways: dict[str, dict[str, Any]] = {
                "stop": {"sessions": [], "stop_ms": []},
                "idle": {"sessions": []},
            }
            for _ in range(requests):
                session = f"cleanup-stop-{uuid.uuid4()}"
                _invoke(client, arn, session)
                started = time.perf_counter()
                client.stop_runtime_session(agentRuntimeArn=arn, runtimeSessionId=session)
                ways["stop"]["stop_ms"].append((time.perf_counter() - started) * 1000)
                ways["stop"]["sessions"].append(session)
            for _ in range(requests):
                session = f"cleanup-idle-{uuid.uuid4()}"
                _invoke(client, arn, session)
                ways["idle"]["sessions"].append(session)
            views = {
                s: plane.wait_ended(arn, s, timeout=idle_timeout + 30)
                for way in ways.values()
                for s in way["sessions"]
            }
    report: dict[str, Any] = {}
    for name, way in ways.items():
        usage = [views[s]["usage"] for s in way["sessions"]]
        report[name] = {
            "ended": sorted({views[s]["ended_reason"] for s in way["sessions"]}),
            "session_seconds": statistics.median(u["session_seconds"] for u in usage),
            "cpu_seconds": statistics.median(u["cpu_seconds"] for u in usage),
            "peak_rss_mb": statistics.median(u["peak_rss_mb"] for u in usage),
            "usd": {v: statistics.median(u["cost_usd"][v] for u in usage) for v in usage[0]["cost_usd"]},
        }
        if "stop_ms" in way:
            ordered = sorted(way["stop_ms"])
            report[name]["stop_ms_median"] = statistics.median(ordered)
            report[name]["stop_ms_p95"] = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return report


def main(argv: list[str] | None = None) -> int:
    """Measure and print both ways, and per million requests."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10, help="sessions per way (default 10)")
    parser.add_argument("--idle-timeout", type=float, default=60.0, help="the idle way's timeout, s (60)")
    parser.add_argument("--start-mode", choices=("spawn", "fork"), default="fork")
    args = parser.parse_args(argv)
    report = measure(args.requests, args.idle_timeout, args.start_mode)
    print(f"{args.requests} sessions each way, step 4 on the local data plane ({args.start_mode} start mode)")
    print("way   ended    session-s  cpu-s  peak MB  USD/request (per version)        USD per 1M requests")
    for name, row in report.items():
        prices = ", ".join(f"{v} {usd:.8f}" for v, usd in row["usd"].items())
        million = ", ".join(f"{v} {usd * 1e6:.2f}" for v, usd in row["usd"].items())
        print(
            f"{name:5} {','.join(row['ended']):8} {row['session_seconds']:9.2f}  {row['cpu_seconds']:5.2f}"
            f"  {row['peak_rss_mb']:7.1f}  {prices}  {million}"
        )
    median, p95 = report["stop"]["stop_ms_median"], report["stop"]["stop_ms_p95"]
    print(f"StopRuntimeSession adds {median:.2f} ms per request (p95 {p95:.2f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
