"""`istiotui local up | down | status`: the server as a background process.

`up` starts `python -m istiotui.local.server` in a new session (so it is its own process group,
and a lost terminal does not take it down with the shell), then waits until it listens (its
`server.json` appears) or exits (a port in use: its error is reported, naming the port). Every
process of the cluster carries the state dir as its owner mark (istiotui.process_group).

`down` means down: SIGTERM to the server's group (SIGKILL after a grace period), then every
process still marked as this cluster's — Envoy, pods, and what `kubectl exec … sh -c '… &'` left
behind in sessions of their own — until none is left and the API port is free again.

State it cannot use never ends in a traceback: pid or info files that do not parse are stale (a
note says so); a store.json that does not read back stops `up` with a message naming the file,
unless `reset_corrupt_state` moves it aside (store.json.corrupt-<time>) and starts empty.
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from istiotui import process_group, settings
from istiotui.local import blocks
from istiotui.local.state import StateDir
from istiotui.local.store import CorruptStore, read_file

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
    # What `up` found and dealt with (stale files, a rewritten kubeconfig…), for the user.
    notes: tuple[str, ...] = field(default=(), compare=False)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0): reap it if it is our child, and treat it as gone either way
    # (a parent that never reaps it must not make `down` wait for it).
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return not process_group.is_zombie(pid)


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
    return _read(state)[0]


def stale_notes(state: StateDir) -> list[str]:
    """What is wrong with the pid and info files, if they are there but unusable."""
    return _read(state)[1]


def _read(state: StateDir) -> tuple[Running | None, list[str]]:
    pid_text = _text(state.pid_file)
    info_text = _text(state.info_file)
    if pid_text is None:
        return None, []  # never started, or stopped cleanly
    notes: list[str] = []
    try:
        pid = int(pid_text.strip())
        if pid <= 0:
            raise ValueError
    except ValueError:
        return None, [f"{state.pid_file} holds no pid ({_show(pid_text)}): treated as stale"]
    if not _alive(pid):
        return None, []  # the server died without cleaning up: stale, nothing to say
    if not _is_server(pid):
        return None, [f"{state.pid_file} names pid {pid}, not a local cluster: treated as stale"]
    if info_text is None:
        return None, []  # starting: server.json is written once it listens
    try:
        info = json.loads(info_text)
        admin = info.get("envoy_admin")
        running = Running(
            pid=pid,
            url=str(info["url"]),
            port=int(info["port"]),
            envoy_admin=admin if isinstance(admin, str) else None,
        )
        same = info["pid"] == pid
        notes = [str(n) for n in info.get("notes", [])]
    except (ValueError, TypeError, KeyError, AttributeError):
        return None, [f"{state.info_file} is not a server's info ({_show(info_text)}): ignored"]
    if not same:
        return None, [f"{state.info_file} names another pid than {state.pid_file}: ignored"]
    return Running(running.pid, running.url, running.port, running.envoy_admin, tuple(notes)), []


def _live_server(state: StateDir) -> int | None:
    try:
        pid = int(state.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid > 0 and _alive(pid) and _is_server(pid) else None


def _text(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"<unreadable: {exc.strerror or exc}>"


def _show(text: str) -> str:
    text = text.strip()
    return repr(text[:40] + ("…" if len(text) > 40 else "")) if text else "empty"


def check_store(state: StateDir, reset_corrupt_state: bool = False) -> list[str]:
    """Refuse to start over a store.json that does not read back (DaemonError saying what to
    do), or, when told to, keep it aside and start empty; returns what to tell the user."""
    if not state.store_file.exists():
        return []
    try:
        read_file(state.store_file)
    except CorruptStore as exc:
        if not reset_corrupt_state:
            raise DaemonError(
                f"cannot start the local cluster: its store {exc.path} {exc.reason}.\n"
                "Nothing was changed. Restore the file from a backup, or start with an empty "
                "cluster with `istiotui local up --reset-corrupt-state` (the file is kept aside "
                "as store.json.corrupt-<time>; the lab's steps can then be applied again)."
            ) from None
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = state.store_file.with_name(f"{state.store_file.name}.corrupt-{stamp}")
        os.replace(state.store_file, aside)
        return [f"the store {exc.path} {exc.reason}: kept aside as {aside}; starting empty"]
    return []


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


def up(
    state: StateDir,
    host: str = "127.0.0.1",
    port: int | None = None,
    reset_corrupt_state: bool = False,
) -> Running:
    """Start the cluster (or return the running one). `port` None: the port used last time when
    it is free, else any free port; 0: any free port; else exactly that port."""
    state.ensure()
    current, notes = _read(state)
    if current is not None:
        # Its notes were said at start.
        return Running(current.pid, current.url, current.port, current.envoy_admin)
    orphan = _live_server(state)
    if orphan is not None and not state.info_file.exists():
        # Another `up` is starting it: wait for it rather than start a second one.
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and _live_server(state) is not None:
            if (running := status(state)) is not None:
                return running
            time.sleep(0.05)
        orphan = _live_server(state)
    if orphan is not None:
        # Its address is unknown (server.json unusable): a second server would only collide
        # with it. `down` finds it by its pid file.
        raise DaemonError(
            f"a local cluster server runs (pid {orphan}) but {state.info_file} is missing or "
            "unusable; stop it with `istiotui local down`, then start again"
        )
    notes += check_store(state, reset_corrupt_state)
    for stale in (state.pid_file, state.info_file):
        stale.unlink(missing_ok=True)
    # What a cluster killed with SIGKILL left behind must not hold its addresses now.
    process_group.sweep_owned(owner(state))
    if port is None:
        port = _previous_port(state, host)
    try:
        block = blocks.choose(state)
    except blocks.BlockHeld as exc:
        raise DaemonError(f"cannot start the local cluster: {exc}") from None
    log = state.log_file.open("ab")
    cmd = [sys.executable, "-m", "istiotui.local.server", "--state-dir", str(state.root),
           "--host", host, "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={
            **os.environ,
            **process_group.owner_env(owner(state)),
            settings.LOCAL_BLOCK.name: str(block),
        },
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
            return Running(
                running.pid,
                running.url,
                running.port,
                running.envoy_admin,
                (*notes, *running.notes),
            )
        time.sleep(0.05)
    process_group.stop_group(proc.pid, STOP_TIMEOUT)
    process_group.sweep_owned(owner(state))
    raise DaemonError(
        f"the local cluster did not start within {START_TIMEOUT:.0f}s; see {state.log_file}"
    )


def _failure(state: StateDir, host: str, port: int, code: int) -> str:
    from istiotui.local.server import EXIT_BLOCK_HELD, EXIT_PORT_IN_USE

    if code == EXIT_BLOCK_HELD:
        return "cannot start the local cluster: " + _last_line(state)
    if code == EXIT_PORT_IN_USE:
        return (
            f"cannot start the local cluster: port {port} on {host} is already in use (try --port)"
        )
    tail = state.log_file.read_text(errors="replace").strip().splitlines()[-5:]
    return (
        f"the local cluster exited with status {code}; last lines of {state.log_file}:\n"
        + "\n".join(tail)
    )


def _last_line(state: StateDir) -> str:
    lines = state.log_file.read_text(errors="replace").strip().splitlines()
    return lines[-1].removeprefix("istiotui local: ") if lines else f"see {state.log_file}"


def down(state: StateDir) -> bool:
    """Stop the server and every process of its cluster; True when the server was running.

    Returns once none of them is left and the API port can be bound again."""
    pid = _live_server(state)
    try:
        info = json.loads(state.info_file.read_text())
    except (OSError, ValueError):
        info = {}
    if pid is not None:
        process_group.stop_group(pid, STOP_TIMEOUT)
    process_group.sweep_owned(owner(state))
    host, port = (info.get("host"), info.get("port")) if isinstance(info, dict) else (None, None)
    if pid is not None and isinstance(host, str) and isinstance(port, int):
        deadline = time.monotonic() + STOP_TIMEOUT
        while not _bindable(host, port) and time.monotonic() < deadline:
            time.sleep(0.05)
    for f in (state.pid_file, state.info_file):
        f.unlink(missing_ok=True)
    return pid is not None
