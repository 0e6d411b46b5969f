"""Load generator for bench and the reliability suite, run in a process of its own so it never shares an
interpreter (or GIL) with a server.

`python -m harness.load - < spec.json` (or the spec as the argument) prints the measurements as JSON
(or writes them to spec["output"]). Modes:
- "http": keep-alive HTTP/1.1 POSTs from `concurrency` asyncio connections (raw streams: the cheapest
  client Python has, so the server, not the client, is what is measured);
- "http_seq": one request at a time, each timed;
- "http_paired": one request at a time to each of several servers in turn, each timed;
- "collect": a given list of requests, returning every status and body (the reliability suite);
- "boto": the raw boto3 write a sink step performs, one at a time, against the same endpoint;
- "drain_sqs": empty a queue; "batch": several of these in order, in one process.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import uuid
from typing import Any


def summary(latencies: list[float], elapsed: float, statuses: dict[int, int]) -> dict[str, Any]:
    """Return count, requests/s and latency percentiles (ms) of one measurement window."""
    lat = sorted(latencies)
    n = len(lat)

    def pct(p: float) -> float:
        return lat[min(n - 1, int(p * n))] * 1000 if n else float("nan")

    return {
        "count": n,
        "rps": n / elapsed if elapsed > 0 else float("nan"),
        "p50_ms": statistics.median(lat) * 1000 if n else float("nan"),
        "p99_ms": pct(0.99),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


class _Conn:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("connection closed by the server")
        status = int(status_line.split()[1])
        length = 0
        close = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                raise ValueError("chunked responses are not expected from /invocations")
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        body = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _raw_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def http_load(spec: dict[str, Any]) -> dict[str, Any]:
    """Keep `concurrency` requests in flight for warmup + duration seconds; measure the last part."""
    host, port = spec.get("host", "127.0.0.1"), int(spec["port"])
    body = json.dumps(spec["payload"]).encode()
    raw = _raw_request(host, port, spec.get("path", "/invocations"), body, spec.get("headers", {}))
    concurrency = int(spec["concurrency"])
    warmup, duration = float(spec.get("warmup", 0.5)), float(spec["duration"])
    start = time.perf_counter()
    window_start, end = start + warmup, start + warmup + duration
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = answered = 0

    async def worker() -> None:
        nonlocal errors, answered
        conn = _Conn(host, port)
        try:
            while (t0 := time.perf_counter()) < end:
                try:
                    status, _ = await conn.request(raw)
                except (OSError, ValueError, asyncio.IncompleteReadError):
                    errors += 1
                    conn.close()
                    continue
                t1 = time.perf_counter()
                answered += 1
                if t0 >= window_start:
                    latencies.append(t1 - t0)
                    statuses[status] = statuses.get(status, 0) + 1
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    # Requests that started inside the window; the last ones may end a little after it.
    elapsed = max(time.perf_counter(), end) - window_start
    result = summary(latencies, elapsed, statuses)
    result["errors"] = errors
    result["answered"] = answered  # warm-up included: what the server did while it was watched
    return result


_clients: dict[str, Any] = {}


def _client(service: str) -> Any:
    import boto3

    from shared.aws.clients import SINK_CONFIG

    if service not in _clients:
        _clients[service] = boto3.session.Session().client(service, config=SINK_CONFIG)
    return _clients[service]


def drain_sqs(spec: dict[str, Any]) -> dict[str, Any]:
    """Receive and delete until the queue answers empty (moto's SQS slows down as a queue fills)."""
    sqs, url, removed = _client("sqs"), spec["queue_url"], 0
    for _ in range(100_000):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
            "Messages", []
        )
        if not messages:
            return {"removed": removed}
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        sqs.delete_message_batch(QueueUrl=url, Entries=entries)
        removed += len(messages)
    raise RuntimeError(f"{url} is still not empty")


def boto_load(spec: dict[str, Any]) -> dict[str, Any]:
    """Time the raw boto3 write of a sink step, sequentially, after a few warm-up calls.

    The document is built once, outside the timed loop, with the same fields a step writes; only the
    id changes per call. What a step does beyond this (validation, exact sum, building the record,
    the HTTP round trip) is what the benchmark calls its overhead.
    """
    client = _client(spec["service"])
    target = spec["target"]
    doc = dict(spec["body"])
    body = json.dumps(doc)
    # The DynamoDB item of shared.core.records.SumRecord.item(), in the wire format.
    item = {
        "timestamp": {"S": doc["timestamp"]},
        "operation": {"S": doc["operation"]},
        "input_a": {"N": str(doc["input"]["a"])},
        "input_b": {"N": str(doc["input"]["b"])},
        "result": {"N": str(doc["result"])},
        "source": {"S": doc["source"]},
        "ttl": {"N": "1790000000"},
    }

    def write() -> None:
        rid = str(uuid.uuid4())
        if spec["service"] == "sqs":
            client.send_message(QueueUrl=target, MessageBody=body)
        elif spec["service"] == "s3":
            client.put_object(
                Bucket=target,
                Key=f"floor/2026/01/01/{rid}.json",
                Body=body.encode(),
                ContentType="application/json",
                IfNoneMatch="*",
            )
        else:
            client.put_item(
                TableName=target,
                Item={"id": {"S": rid}, "request_id": {"S": rid}, **item},
                ConditionExpression="attribute_not_exists(id)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )

    for _ in range(int(spec.get("warmup_count", 10))):
        write()
    latencies = []
    start = time.perf_counter()
    for _ in range(int(spec["count"])):
        t0 = time.perf_counter()
        write()
        latencies.append(time.perf_counter() - t0)
    return summary(latencies, time.perf_counter() - start, {200: len(latencies)})


async def http_sequential(spec: dict[str, Any]) -> dict[str, Any]:
    """Send `count` requests one at a time (after warm-up calls) and time each round trip."""
    host, port = spec.get("host", "127.0.0.1"), int(spec["port"])
    raw = _raw_request(host, port, "/invocations", json.dumps(spec["payload"]).encode(), {})
    conn = _Conn(host, port)
    statuses: dict[int, int] = {}
    latencies = []
    try:
        for _ in range(int(spec.get("warmup_count", 10))):
            await conn.request(raw)
        start = time.perf_counter()
        for _ in range(int(spec["count"])):
            t0 = time.perf_counter()
            status, _ = await conn.request(raw)
            latencies.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        conn.close()
    return summary(latencies, time.perf_counter() - start, statuses)


async def http_paired(spec: dict[str, Any]) -> dict[str, Any]:
    """Send `count` requests to each of `ports`, alternating request by request, each timed.

    Variants measured this way share every drift of the machine and of the emulator behind them
    (moto slows down as a queue or a table grows), which back-to-back runs do not.
    """
    host, ports = spec.get("host", "127.0.0.1"), [int(p) for p in spec["ports"]]
    # Optional per-port path and headers (a data plane's InvokeAgentRuntime path and session header).
    paths, extra = spec.get("paths", {}), spec.get("headers", {})
    body = json.dumps(spec["payload"]).encode()
    raw = {
        p: _raw_request(host, p, paths.get(str(p), "/invocations"), body, extra.get(str(p), {}))
        for p in ports
    }
    conns = {p: _Conn(host, p) for p in ports}
    statuses: dict[int, dict[int, int]] = {p: {} for p in ports}
    latencies: dict[int, list[float]] = {p: [] for p in ports}
    try:
        for _ in range(int(spec.get("warmup_count", 10))):
            for p in ports:
                await conns[p].request(raw[p])
        start = time.perf_counter()
        for i in range(int(spec["count"])):
            for p in ports if i % 2 == 0 else ports[::-1]:
                t0 = time.perf_counter()
                status, _ = await conns[p].request(raw[p])
                latencies[p].append(time.perf_counter() - t0)
                statuses[p][status] = statuses[p].get(status, 0) + 1
    finally:
        for conn in conns.values():
            conn.close()
    elapsed = time.perf_counter() - start
    return {str(p): summary(latencies[p], elapsed, statuses[p]) for p in ports}


async def http_collect(spec: dict[str, Any]) -> list[list[Any]]:
    """Send every request of `requests` ({"body": str, "headers": {...}}) over `concurrency` keep-alive
    connections; return [status, body text] per request, in order (status 0: no response)."""
    host, port = spec.get("host", "127.0.0.1"), int(spec["port"])
    requests = spec["requests"]
    results: list[list[Any]] = [[0, ""] for _ in requests]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(requests)):
        queue.put_nowait(i)
    timeout = float(spec.get("timeout", 60))

    async def worker() -> None:
        conn = _Conn(host, port)
        try:
            while not queue.empty():
                i = queue.get_nowait()
                req = requests[i]
                raw = _raw_request(host, port, "/invocations", req["body"].encode(), req.get("headers", {}))
                try:
                    status, body = await asyncio.wait_for(conn.request(raw), timeout)
                except (TimeoutError, OSError, ValueError, asyncio.IncompleteReadError) as exc:
                    results[i] = [0, type(exc).__name__]
                    conn.close()
                    continue
                results[i] = [status, body.decode("utf-8", "replace")]
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(int(spec["concurrency"]))))
    return results


def _event_loop_runner() -> Any:
    try:
        import uvloop

        return uvloop.run
    except ImportError:  # pragma: no cover - Windows
        return asyncio.run


def run_spec(spec: dict[str, Any]) -> Any:
    """Run one measurement, or a "batch" of them in order (one process, one boto3 import)."""
    mode = spec["mode"]
    run = _event_loop_runner()
    if mode == "batch":
        return [run_spec(job) for job in spec["jobs"]]
    if mode == "http":
        return run(http_load(spec))
    if mode == "http_seq":
        return run(http_sequential(spec))
    if mode == "http_paired":
        return run(http_paired(spec))
    if mode == "boto":
        return boto_load(spec)
    if mode == "collect":
        return run(http_collect(spec))
    if mode == "drain_sqs":
        return drain_sqs(spec)
    raise SystemExit(f"unknown mode {mode!r}")


def main(argv: list[str]) -> int:
    # The spec comes on stdin ("-"), as a large request list would not fit in an argument.
    raw = sys.stdin.read() if len(argv) < 2 or argv[1] == "-" else argv[1]
    spec = json.loads(raw)
    result = json.dumps(run_spec(spec))
    if "output" in spec:
        # Large results go to a file: a pipe left non-blocking by the event loop can cut them short.
        with open(spec["output"], "w", encoding="utf-8") as out:
            out.write(result)
    else:
        sys.stdout.write(result + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
