"""fortio-compatible load generation: c kept-alive HTTP/1.1 connections, each its own worker.

Each worker owns one connection and reuses it for all its calls, as fortio's fast client does;
a connection the server (or a proxy) closes is reopened, and the report counts every socket
opened ("Sockets used"). Connection errors count as code -1, as fortio reports them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
from collections import Counter as Tally
from dataclasses import dataclass, field
from typing import Any, TextIO

import aiohttp

from istiotui.local.workloads import outbound
from istiotui.local.workloads.fortio_stats import Histogram, g, go_duration

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


@dataclass
class LoadResult:
    options: LoadOptions
    started: dt.datetime
    elapsed: float
    durations: Histogram
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


def _log(out: TextIO, level: str, message: str) -> None:
    out.write(f"{time.strftime('%H:%M:%S')} {level} {message}\n")


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

    async def opened(*_: object) -> None:
        worker.sockets += 1

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(opened)
    connector = outbound.connector(limit=1, force_close=not options.keepalive)
    headers = dict(outbound.request_kwargs(target)["headers"])
    headers.setdefault("User-Agent", f"fortio.org/fortio-{VERSION}")
    for name, value in options.headers:
        headers[name] = value
    kwargs = outbound.request_kwargs(target, headers)
    per_worker_qps = options.qps / options.connections if options.qps > 0 else 0.0
    start = time.monotonic()
    async with aiohttp.ClientSession(
        connector=connector,
        trace_configs=[trace],
        timeout=aiohttp.ClientTimeout(total=options.timeout),
        auto_decompress=False,
    ) as session:
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
                if options.loglevel <= 3:
                    _log(
                        log,
                        "W",
                        f"[{index}] Unable to fetch {options.url}: {exc or type(exc).__name__}",
                    )
            elapsed = time.monotonic() - began
            if code not in (-1, 200) and options.loglevel <= 3:
                _log(log, "W", f"[{index}] Parsed non ok code {code} (HTTP/1.1 {code})")
            worker.calls += 1
            worker.codes[code] += 1
            result.durations.record(elapsed)
            result.header_sizes.record(header_size)
            result.sizes.record(header_size + body_size)


async def run_load(options: LoadOptions, log: TextIO = sys.stderr) -> LoadResult:
    target = outbound.resolve(options.url)
    plan = _plan(options)
    result = LoadResult(
        options=options,
        started=dt.datetime.now(dt.UTC),
        elapsed=0.0,
        durations=Histogram(resolution=options.resolution),
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
    lines.append(
        f"Sockets used: {result.sockets} (for perfect keepalive, would be {o.connections})"
    )
    lines.append("Uniform: false, Jitter: false")
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
        "AbortOn": 0,
    }
