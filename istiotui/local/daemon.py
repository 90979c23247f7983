"""`istiotui local up | down | status`: the server as a background process.

`up` starts `python -m istiotui.local.server` in a new session (so it is its own process group,
and a lost terminal does not take it down with the shell), then waits until it listens (its
`server.json` appears) or exits (a port in use: its error is reported, naming the port). Every
process of the cluster carries the state dir as its owner mark (istiotui.process_group).

`down` means down: SIGTERM to the server's group (SIGKILL after a grace period), then every
process still marked as this cluster's — Envoy, pods, and what `kubectl exec … sh -c '… &'` left
behind in sessions of their own — until none is left and the API port is free again.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from istiotui import process_group
from istiotui.local.state import StateDir

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


class DaemonError(RuntimeError):
    pass


@dataclass(frozen=True)
class Running:
    pid: int
    url: str
    port: int
    envoy_admin: str | None = None  # Envoy's admin URL (a free port chosen at start)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as gone.
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def _is_server(pid: int) -> bool:
    """Whether pid is a local cluster server (a stale pid file may name a reused pid: never
    signal someone else's process group). Without /proc, trust the pid file."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not Path("/proc/self/cmdline").exists():
        return True
    try:
        return b"istiotui.local.server" in cmdline.read_bytes()
    except OSError:
        return False


def status(state: StateDir) -> Running | None:
    """The running server of this state dir, or None (stale files are ignored)."""
    try:
        info = json.loads(state.info_file.read_text())
        pid = int(state.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    if info.get("pid") != pid or not _alive(pid) or not _is_server(pid):
        return None
    admin = info.get("envoy_admin")
    return Running(
        pid=pid,
        url=str(info["url"]),
        port=int(info["port"]),
        envoy_admin=admin if isinstance(admin, str) else None,
    )


def owner(state: StateDir) -> str:
    """The mark every process of this state dir's cluster carries (see process_group)."""
    return str(state.root.resolve())


def _previous_port(state: StateDir, host: str) -> int:
    """The API port the kubeconfig names if it is free now (so that a learner's terminals keep
    working across `down`/`up`), else 0: any free port."""
    try:
        text = state.kubeconfig.read_text()
    except OSError:
        return 0
    match = re.search(r"server:\s*https?://[^\s:]+:(\d+)", text)
    if match is None:
        return 0
    port = int(match.group(1))
    return port if _bindable(host, port) else 0


def _bindable(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def up(state: StateDir, host: str = "127.0.0.1", port: int | None = None) -> Running:
    """Start the cluster (or return the running one). `port` None: the port used last time when
    it is free, else any free port; 0: any free port; else exactly that port."""
    state.ensure()
    current = status(state)
    if current is not None:
        return current
    for stale in (state.pid_file, state.info_file):
        stale.unlink(missing_ok=True)
    # What a cluster killed with SIGKILL left behind must not hold its addresses now.
    process_group.sweep_owned(owner(state))
    if port is None:
        port = _previous_port(state, host)
    log = state.log_file.open("ab")
    cmd = [sys.executable, "-m", "istiotui.local.server", "--state-dir", str(state.root),
           "--host", host, "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **process_group.owner_env(owner(state))},
        **process_group.spawn_options(),
    )
    log.close()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            raise DaemonError(_failure(state, host, port, code))
        running = status(state)
        if running is not None:
            return running
        time.sleep(0.05)
    process_group.stop_group(proc.pid, STOP_TIMEOUT)
    process_group.sweep_owned(owner(state))
    raise DaemonError(
        f"the local cluster did not start within {START_TIMEOUT:.0f}s; see {state.log_file}"
    )


def _failure(state: StateDir, host: str, port: int, code: int) -> str:
    from istiotui.local.server import EXIT_PORT_IN_USE

    if code == EXIT_PORT_IN_USE:
        return (
            f"cannot start the local cluster: port {port} on {host} is already in use (try --port)"
        )
    tail = state.log_file.read_text(errors="replace").strip().splitlines()[-5:]
    return (
        f"the local cluster exited with status {code}; last lines of {state.log_file}:\n"
        + "\n".join(tail)
    )


def down(state: StateDir) -> bool:
    """Stop the server and every process of its cluster; True when the server was running.

    Returns once none of them is left and the API port can be bound again."""
    try:
        pid = int(state.pid_file.read_text().strip())
    except (OSError, ValueError):
        pid = 0
    try:
        info = json.loads(state.info_file.read_text())
    except (OSError, ValueError):
        info = {}
    was_running = pid > 0 and _alive(pid) and _is_server(pid)
    if was_running:
        process_group.stop_group(pid, STOP_TIMEOUT)
    process_group.sweep_owned(owner(state))
    host, port = info.get("host"), info.get("port")
    if was_running and isinstance(host, str) and isinstance(port, int):
        deadline = time.monotonic() + STOP_TIMEOUT
        while not _bindable(host, port) and time.monotonic() < deadline:
            time.sleep(0.05)
    for f in (state.pid_file, state.info_file):
        f.unlink(missing_ok=True)
    return was_running
