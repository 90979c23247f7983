"""Commands run inside a pod through the API (`pods/exec` over WebSocket), no kubectl process.

`run` is `kubectl exec POD -c CONTAINER -- ARGV`: stdout streamed to a callback as it arrives,
the exit code from the API's status channel. On top of it, the two probes the lab sends from
inside the mesh: `curl` (one record per request, with headers and body, so responses can be
classified as the probe engine classifies them) and `fortio load -json -` (counts per status and
a latency histogram: fortio reports no single requests).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import stream

from istiotui.cluster.errors import ClusterError

# Written after every transfer by curl's -w; a body line never starts with it.
MARK = "\n@@istiotui-probe@@"
_MARK_LINE = re.compile(r"\n@@istiotui-probe@@ (\d{3}) ([0-9.]+) ?(.*)\n")


@dataclass(frozen=True)
class ExecResult:
    code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Record:
    """One request as seen from inside the pod."""

    status: int | None
    latency: float
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    error: str | None = None


def handshake_error(where: str, exc: ApiException) -> ClusterError:
    # websocket-client reports a refused handshake as "Handshake status 404 Not Found -+-+-
    # {headers} -+-+- <body>": the body is the API's Status.
    text = str(exc.reason or exc)
    code_match = re.search(r"Handshake status (\d{3})", text)
    code = int(code_match.group(1)) if code_match else None
    body = text.rsplit(" -+-+- ", 1)[-1]
    try:
        status = json.loads(body)
    except ValueError:
        status = None
    if isinstance(status, dict) and status.get("kind") == "Status":
        return ClusterError(f"{where}: {status.get('message')}", code, status.get("reason"))
    return ClusterError(f"{where}: refused: {text.splitlines()[0] if text else exc}", code)


def run(
    api_client: client.ApiClient,
    namespace: str,
    pod: str,
    argv: Sequence[str],
    container: str | None = None,
    *,
    timeout: float = 120.0,
    on_stdout: Callable[[str], None] | None = None,
) -> ExecResult:
    """Run `argv` in the pod; `on_stdout` sees stdout as it arrives. Raises ClusterError when the
    API refuses (no such pod, not running, forbidden) or the command outlives `timeout`."""
    where = f"exec in pod {namespace}/{pod}" + (f" -c {container}" if container else "")
    kwargs = {"container": container} if container else {}
    # `stream` swaps the ApiClient's call_api while it connects: a private client keeps the
    # connection's other threads (watches, lists) from being routed into the WebSocket.
    private = client.ApiClient(api_client.configuration)
    try:
        resp = stream(
            client.CoreV1Api(private).connect_get_namespaced_pod_exec,
            pod,
            namespace,
            command=list(argv),
            stdin=False,
            stdout=True,
            stderr=True,
            tty=False,
            _preload_content=False,
            **kwargs,
        )
    except ApiException as exc:
        raise handshake_error(where, exc) from None
    finally:
        private.close()
    out: list[str] = []
    err: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while resp.is_open():
            if time.monotonic() > deadline:
                raise ClusterError(f"{where}: {argv[0]} still running after {timeout:g} s")
            resp.update(timeout=0.5)
            chunk = resp.read_stdout(timeout=0) if resp.peek_stdout() else ""
            if chunk:
                out.append(chunk)
                if on_stdout is not None:
                    on_stdout(chunk)
            if resp.peek_stderr():
                err.append(resp.read_stderr(timeout=0))
        # Frames that arrived with the close.
        for channel, sink in ((1, out), (2, err)):
            rest = resp.read_channel(channel)
            if rest:
                sink.append(rest)
                if channel == 1 and on_stdout is not None:
                    on_stdout(rest)
        status = yaml.safe_load(resp.read_channel(3) or "{}") or {}
    finally:
        resp.close()
    return ExecResult(_exit_code(where, status), "".join(out), "".join(err))


def _exit_code(where: str, status: dict) -> int:
    if not status:
        raise ClusterError(f"{where}: the connection closed without an exit status")
    if status.get("status") == "Success":
        return 0
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            return int(cause["message"])
    raise ClusterError(f"{where}: {status.get('message', status)}", status.get("code"))


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
