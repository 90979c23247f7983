"""`istiotui local up | down | status`: the server as a background process.

`up` starts `python -m istiotui.local.server` in a new session (so it is its own process group,
and a lost terminal does not take it down with the shell), then waits until it listens (its
`server.json` appears) or exits (a port in use: its error is reported, naming the port). `down`
sends SIGTERM to the whole group and waits until it is gone (SIGKILL after a grace period), then
removes the pid and info files.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

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
    return Running(pid=pid, url=str(info["url"]), port=int(info["port"]))


def up(state: StateDir, host: str = "127.0.0.1", port: int = 6443) -> Running:
    state.ensure()
    current = status(state)
    if current is not None:
        return current
    for stale in (state.pid_file, state.info_file):
        stale.unlink(missing_ok=True)
    log = state.log_file.open("ab")
    cmd = [sys.executable, "-m", "istiotui.local.server", "--state-dir", str(state.root),
           "--host", host, "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
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
    _kill_group(proc.pid)
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


def _kill_group(pid: int, timeout: float = STOP_TIMEOUT) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _group_alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    while _group_alive(pid):
        time.sleep(0.05)


def _group_alive(pgid: int) -> bool:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pgid, os.WNOHANG)  # reap it if it is our child
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def down(state: StateDir) -> bool:
    """Stop the server; True when one was running."""
    try:
        pid = int(state.pid_file.read_text().strip())
    except (OSError, ValueError):
        pid = 0
    was_running = pid > 0 and _alive(pid) and _is_server(pid)
    if was_running:
        _kill_group(pid)
    for f in (state.pid_file, state.info_file):
        f.unlink(missing_ok=True)
    return was_running
