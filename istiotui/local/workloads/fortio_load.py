"""fortio-compatible load generation: c kept-alive HTTP/1.1 connections, each its own worker.

Each worker owns one connection and reuses it for its calls, as fortio's fast client does; after
an answer other than 200 it drops that connection and opens a new one for its next call, as
fortio does, so each circuit breaker 503 costs a socket ("Sockets used" ≈ c + the 503s). A
connection the server (or a proxy) closes is reopened too. Connection errors count as code -1.
Warnings are fortio 1.6x's JSON log lines; the report ends with the sockets per worker and the
"IP addresses distribution" (the address each socket really connected to: here the pod's
sidecar, where a node's iptables would have taken the Service's cluster IP).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import time
from collections import Counter as Tally
from dataclasses import dataclass, field
from typing import Any, TextIO

import aiohttp
import yarl

from istiotui.local.workloads import outbound
from istiotui.local.workloads.fortio_stats import Counter, Histogram, g, go_duration

VERSION = "1.69.5-istiotui"


@dataclass
class LoadOptions:
    url: str
    connections: int = 4
    qps: float = 8.0
    exactly: int = 0
    duration: float = 5.0
    timeout: float = 3.0
    keepalive: bool = True
    headers: list[tuple[str, str]] = field(default_factory=list)
    percentiles: list[float] = field(default_factory=lambda: [50, 75, 90, 99, 99.9])
    resolution: float = 0.001
    loglevel: int = 2  # 0 debug … 2 info, 3 warning, 4 error
    labels: str = ""


@dataclass
class Worker:
    sockets: int = 0
    calls: int = 0
    codes: Tally[int] = field(default_factory=Tally)
    address: str = ""  # where its sockets connected (ip:port)
    connect_times: Counter = field(default_factory=Counter)


@dataclass
class LoadResult:
    options: LoadOptions
    started: dt.datetime
    elapsed: float
    durations: Histogram
    errors: Histogram  # the calls that did not answer 200 ("Error cases")
    header_sizes: Histogram
    sizes: Histogram
    workers: list[Worker]

    @property
    def codes(self) -> Tally[int]:
        total: Tally[int] = Tally()
        for worker in self.workers:
            total.update(worker.codes)
        return total

    @property
    def calls(self) -> int:
        return self.durations.counter.count

    @property
    def sockets(self) -> int:
        return sum(worker.sockets for worker in self.workers)

    @property
    def qps(self) -> float:
        return self.calls / self.elapsed if self.elapsed > 0 else 0.0


# fortio's log lines carry the source file and line that wrote them; these are 1.69's.
_SOURCE = {
    "Non ok http code": ("http_client.go", 1151),
    "Unable to connect": ("http_client.go", 917),
}


def log_json(out: TextIO, level: str, msg: str, r: int = 1, **fields: object) -> None:
    """One of fortio 1.6x's structured log lines: {"ts":…,"level":…,"r":…,"file":…,…}."""
    file, line = _SOURCE.get(msg, ("logger.go", 298))
    head = {"ts": round(time.time(), 6), "level": level, "r": r, "file": file, "line": line}
    out.write(json.dumps({**head, "msg": msg, **fields}, separators=(",", ":")) + "\n")


def _plan(options: LoadOptions) -> list[int | None]:
    """Calls per worker (None: until the duration ends)."""
    c = options.connections
    if options.exactly > 0:
        base, extra = divmod(options.exactly, c)
        return [base + (1 if i < extra else 0) for i in range(c)]
    return [None] * c


async def _worker(
    index: int,
    options: LoadOptions,
    target: outbound.Target,
    calls: int | None,
    deadline: float | None,
    result: LoadResult,
    log: TextIO,
) -> None:
    worker = result.workers[index]

    async def connecting(_: object, ctx: Any, __: object) -> None:
        ctx.connect_began = time.monotonic()

    async def opened(_: object, ctx: Any, __: object) -> None:
        worker.sockets += 1
        worker.connect_times.record(time.monotonic() - getattr(ctx, "connect_began", 0.0))

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_start.append(connecting)
    trace.on_connection_create_end.append(opened)

    def new_session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=outbound.connector(limit=1, force_close=not options.keepalive),
            trace_configs=[trace],
            timeout=aiohttp.ClientTimeout(total=options.timeout),
            auto_decompress=False,
        )

    headers = dict(outbound.request_kwargs(target)["headers"])
    headers.setdefault("User-Agent", f"fortio.org/fortio-{VERSION}")
    for name, value in options.headers:
        headers[name] = value
    kwargs = outbound.request_kwargs(target, headers)
    per_worker_qps = options.qps / options.connections if options.qps > 0 else 0.0
    # Where its sockets go: the address the request is sent to (the sidecar, for a name).
    connect = yarl.URL(target.connect_url)
    worker.address = f"{connect.host}:{connect.port}"
    start = time.monotonic()
    session = new_session()
    try:
        n = 0
        while calls is None or n < calls:
            if per_worker_qps:
                # A fixed schedule, not a fixed pause: slow calls don't lower the rate.
                due = start + n / per_worker_qps
                if deadline is not None and due >= deadline:
                    break
                await asyncio.sleep(max(0.0, due - time.monotonic()))
            if deadline is not None and time.monotonic() >= deadline:
                break
            n += 1
            began = time.monotonic()
            code, header_size, body_size = -1, 0, 0
            try:
                async with session.get(
                    target.connect_url,
                    allow_redirects=False,
                    skip_auto_headers=("Accept-Encoding",),
                    **kwargs,
                ) as resp:
                    body = await resp.read()
                    code = resp.status
                    # The header block as received: status line, "k: v\r\n" lines, blank line.
                    status_line = 15 + len(resp.reason or "")
                    header_size = (
                        status_line + sum(len(k) + len(v) + 4 for k, v in resp.raw_headers) + 2
                    )
                    body_size = len(body)
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                if options.loglevel <= 4:
                    log_json(log, "err", "Unable to connect", r=10 + index,
                             dest=target.connect_url, err=str(exc) or type(exc).__name__,
                             thread=index, run=0)  # fmt: skip
            elapsed = time.monotonic() - began
            if code not in (-1, 200):
                if options.loglevel <= 3:
                    log_json(log, "warn", "Non ok http code", r=10 + index, code=code,
                             status=f"HTTP/1.1 {code}", thread=index, run=0)  # fmt: skip
                # fortio keeps a connection only after a 200: the next call opens a new one.
                await session.close()
                session = new_session()
            worker.calls += 1
            worker.codes[code] += 1
            result.durations.record(elapsed)
            if code != 200:
                result.errors.record(elapsed)
            result.header_sizes.record(header_size)
            result.sizes.record(header_size + body_size)
    finally:
        await session.close()


async def run_load(options: LoadOptions, log: TextIO = sys.stderr) -> LoadResult:
    target = outbound.resolve(options.url)
    plan = _plan(options)
    result = LoadResult(
        options=options,
        started=dt.datetime.now(dt.UTC),
        elapsed=0.0,
        durations=Histogram(resolution=options.resolution),
        errors=Histogram(resolution=options.resolution),
        header_sizes=Histogram(resolution=1.0),
        sizes=Histogram(resolution=100.0),
        workers=[Worker() for _ in plan],
    )
    began = time.monotonic()
    deadline = None if options.exactly > 0 else began + options.duration
    await asyncio.gather(
        *(_worker(i, options, target, calls, deadline, result, log) for i, calls in enumerate(plan))
    )
    result.elapsed = time.monotonic() - began
    return result


def header_lines(options: LoadOptions) -> list[str]:
    c = options.connections
    rate = "max" if options.qps <= 0 else f"{options.qps:g}"
    first = f"Fortio {VERSION} running at {options.qps:g} queries per second, 2->2 procs"
    if options.exactly > 0:
        per, extra = divmod(options.exactly, c)
        return [
            f"{first}, for {options.exactly} calls: {options.url}",
            f"Starting at {rate} qps with {c} thread(s) [gomax 2] for exactly {options.exactly} "
            f"calls ({per} per thread + {extra})",
        ]
    each = int(options.qps / c * options.duration) if options.qps > 0 else 0
    lines = [f"{first}, for {go_duration(options.duration)}: {options.url}"]
    if each:
        lines.append(
            f"Starting at {rate} qps with {c} thread(s) [gomax 2] for "
            f"{go_duration(options.duration)} : {each} calls each (total {each * c})"
        )
    else:
        lines.append(
            f"Starting at {rate} qps with {c} thread(s) [gomax 2] for "
            f"{go_duration(options.duration)}"
        )
    return lines


def report_lines(result: LoadResult) -> list[str]:
    o = result.options
    lines = [
        f"Ended after {go_duration(result.elapsed)} : {result.calls} calls. qps={g(result.qps, 5)}"
    ]
    lines += result.durations.text("Aggregated Function Time", o.percentiles)
    if result.errors.counter.count:
        lines += result.errors.text("Error cases", o.percentiles)
    else:
        lines.append("Error cases : no data")
    lines.append("# Socket and IP used for each connection:")
    all_connects = Counter()  # every worker's connection times together
    for i, worker in enumerate(result.workers):
        timing = worker.connect_times.line("connection timing")
        lines.append(
            f"[{i}] {worker.sockets:3d} socket used, resolved to {worker.address or '?'}, {timing}"
        )
        _merge(all_connects, worker.connect_times)
    lines.append(all_connects.line("Connection time (s)"))
    lines.append(
        f"Sockets used: {result.sockets} (for perfect keepalive, would be {o.connections})"
    )
    lines.append("Uniform: false, Jitter: false, Catchup allowed: true")
    lines.append("IP addresses distribution:")
    for address, sockets in ip_distribution(result).items():
        lines.append(f"{address}: {sockets}")
    codes = result.codes
    for code in sorted(codes):
        share = 100.0 * codes[code] / result.calls if result.calls else 0.0
        lines.append(f"Code {code:3d} : {codes[code]} ({share:.1f} %)")
    lines.append(result.header_sizes.counter.line("Response Header Sizes"))
    lines.append(result.sizes.counter.line("Response Body/Total Sizes"))
    lines.append(
        f"All done {result.calls} calls (plus 0 warmup) "
        f"{result.durations.counter.avg * 1000:.3f} ms avg, {result.qps:.1f} qps"
    )
    return lines


def _merge(into: Counter, other: Counter) -> None:
    if not other.count:
        return
    into.count += other.count
    into.total += other.total
    into.sum_squares += other.sum_squares
    into.min = min(into.min, other.min)
    into.max = max(into.max, other.max)


def ip_distribution(result: LoadResult) -> dict[str, int]:
    """Sockets opened per address, in the order the workers first used them."""
    out: dict[str, int] = {}
    for worker in result.workers:
        if worker.sockets and worker.address:
            out[worker.address] = out.get(worker.address, 0) + worker.sockets
    return out


def to_json(result: LoadResult) -> dict[str, Any]:
    """The run in fortio's JSON result shape (the fields a reader of fortio's output uses)."""
    o = result.options
    return {
        "RunType": "HTTP",
        "Labels": o.labels,
        "StartTime": result.started.isoformat(),
        "RequestedQPS": "max" if o.qps <= 0 else f"{o.qps:g}",
        "RequestedDuration": (
            f"exactly {o.exactly} calls" if o.exactly > 0 else go_duration(o.duration)
        ),
        "ActualQPS": result.qps,
        "ActualDuration": int(result.elapsed * 1e9),
        "NumThreads": o.connections,
        "Version": VERSION,
        "DurationHistogram": result.durations.export(o.percentiles),
        "Exactly": max(o.exactly, 0),
        "Jitter": False,
        "Uniform": False,
        "RetCodes": {str(code): n for code, n in sorted(result.codes.items())},
        "URL": o.url,
        "NumConnections": 1,
        "DisableKeepAlive": not o.keepalive,
        "HTTPReqTimeOut": int(o.timeout * 1e9),
        "Sizes": result.sizes.export(),
        "HeaderSizes": result.header_sizes.export(),
        "Sockets": [worker.sockets for worker in result.workers],
        "SocketCount": result.sockets,
        "IPCountMap": ip_distribution(result),
        "ErrorsDurationHistogram": result.errors.export(o.percentiles),
        "AbortOn": 0,
    }
