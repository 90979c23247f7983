"""Commands run inside a pod through the API (`pods/exec` over WebSocket), no kubectl process.

`run` is `kubectl exec POD -c CONTAINER -- ARGV`: stdout streamed to a callback as it arrives,
the exit code from the API's status channel. What the probes run this way (curl, fortio) and how
their output reads is the traffic layer's (traffic/commands.py).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import stream

from istiotui.cluster.errors import ClusterError


@dataclass(frozen=True)
class ExecResult:
    code: int
    stdout: str
    stderr: str


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
