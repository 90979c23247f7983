"""The probes the lab sends from inside a pod, as commands: `curl` (one record per request, with
headers and body, so responses are classified as the probe engine classifies them) and
`fortio load -json -` (counts per status and a latency histogram: fortio reports no single
requests). Building the argv and reading what the command printed; running it is the cluster
layer's `exec.run`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from istiotui.cluster.errors import ClusterError

# Written after every transfer by curl's -w; a body line never starts with it.
MARK = "\n@@istiotui-probe@@"
_MARK_LINE = re.compile(r"\n@@istiotui-probe@@ (\d{3}) ([0-9.]+) ?(.*)\n")


@dataclass(frozen=True)
class Record:
    """One request as seen from inside the pod."""

    status: int | None
    latency: float
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    error: str | None = None


# -- curl ------------------------------------------------------------------------------------


def curl_argv(
    urls: Sequence[str],
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    timeout: float = 15.0,
    keepalive: bool = True,
) -> list[str]:
    """One curl for several requests: headers and body of each, then a mark line with its status
    and time (curl goes on with the next URL after a failed one)."""
    argv = [
        "curl",
        "-sS",
        "-i",
        "-m",
        f"{timeout:g}",
        "-w",
        MARK + r" %{http_code} %{time_total}\n",
    ]
    if method != "GET":
        argv += ["-X", method]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    if not keepalive:
        argv += ["-H", "Connection: close"]
    return [*argv, *urls]


def parse_curl(stdout: str, stderr: str = "") -> tuple[list[Record], str]:
    """Records of the complete transfers in `stdout`, and what is left (an unfinished one)."""
    records = []
    errors = [line for line in stderr.splitlines() if line.startswith("curl:")]
    pos = 0
    for match in _MARK_LINE.finditer(stdout):
        chunk = stdout[pos : match.start()]
        pos = match.end()
        status, latency = int(match.group(1)), float(match.group(2))
        if status == 0:
            why = errors.pop(0) if errors else "curl: no answer"
            records.append(Record(None, latency, error=why))
            continue
        headers, body = _split_response(chunk)
        records.append(Record(status, latency, headers, body))
    return records, stdout[pos:]


def _split_response(chunk: str) -> tuple[dict[str, str], str]:
    # -i prints every header block (a 100 Continue too): the last one is the answer's.
    head, body = chunk, ""
    while True:
        head_part, sep, rest = head.partition("\r\n\r\n")
        if not sep:
            head_part, sep, rest = head.partition("\n\n")
        if not sep:
            break
        head, body = head_part, rest
        if not rest.startswith("HTTP/"):
            break
        head = rest
    headers = {}
    for line in head.splitlines()[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip()] = value.strip()
    return headers, body


# -- fortio ----------------------------------------------------------------------------------


def fortio_argv(
    url: str,
    *,
    count: int,
    concurrency: int,
    qps: float,
    timeout: float,
    headers: dict[str, str] | None = None,
    keepalive: bool = True,
) -> list[str]:
    argv = ["/usr/bin/fortio", "load", "-json", "-", "-loglevel", "Warning"]
    argv += ["-c", str(concurrency), "-qps", f"{qps:g}", "-n", str(count)]
    argv += ["-timeout", f"{timeout:g}s"]
    if not keepalive:
        argv += ["-keepalive=false"]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    return [*argv, url]


def parse_fortio(stdout: str) -> list[Record]:
    """fortio's JSON as records: one per request counted under each status. Fortio does not pair
    statuses with latencies, so latencies come from its histogram (bucket midpoints, in order)."""
    start = stdout.find("{")
    try:
        result = json.loads(stdout[start:]) if start >= 0 else None
    except ValueError:
        result = None
    if not isinstance(result, dict) or "RetCodes" not in result:
        raise ClusterError(f"fortio printed no JSON result: {stdout[:200]!r}")
    latencies: list[float] = []
    for bucket in (result.get("DurationHistogram") or {}).get("Data") or []:
        middle = (float(bucket["Start"]) + float(bucket["End"])) / 2
        latencies += [middle] * int(bucket["Count"])
    statuses: list[int | None] = []
    for code, n in sorted(result["RetCodes"].items(), key=lambda kv: int(kv[0])):
        statuses += [int(code) if int(code) > 0 else None] * int(n)
    latencies += [0.0] * (len(statuses) - len(latencies))
    return [
        Record(s, lat, error=None if s is not None else "fortio: request failed")
        for s, lat in zip(statuses, latencies, strict=False)
    ]
