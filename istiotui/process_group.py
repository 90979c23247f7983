"""Child processes that can be stopped whole: the one way istiotui starts and stops them.

A child is started in a session (so a process group) of its own, so that stopping it reaches
everything it started, and a lost terminal's SIGHUP does not reach it through ours. Where asked,
Linux also sends it SIGTERM when the thread that started it dies, even by SIGKILL. Stopping is
always the same: a signal to the whole group (SIGTERM, or a list such as SIGINT then SIGTERM),
a grace period for the leader to exit, then SIGKILL to whatever is left in the group — children
may outlive a leader that exited politely.

Processes of the local cluster also carry `OWNER_ENV` in their environment. Children inherit it,
including those that left the group (`setsid`, a daemonising shell), so `owned_pids` finds every
one of them from /proc when `local down` must make sure nothing is left.

On hosts without process groups (Windows) the same calls fall back to the process itself:
a new console process group at start, terminate() then kill() at stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

OWNER_ENV = "ISTIOTUI_OWNER"
POSIX = os.name == "posix"
_POLL = 0.02


def _load_prctl() -> Callable[..., int] | None:
    # Looked up once, in the parent: between fork and exec the child must not dlopen.
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    # Tied to the starting *thread*: start such children from a thread that lives as long as
    # the parent means to (the event loop's thread).
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn_options(*, die_with_parent: bool = False) -> dict[str, Any]:
    """Keyword arguments for subprocess.Popen / asyncio.create_subprocess_exec."""
    if not POSIX:
        return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
    options: dict[str, Any] = {"start_new_session": True}
    if die_with_parent and _PRCTL is not None:
        options["preexec_fn"] = _die_with_parent
    return options


def signal_group(pgid: int, sig: int) -> bool:
    """Send `sig` to the group; False when the group is gone."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:  # a zombie leader's group, or not ours: nothing more can be done
        return False
    return True


def is_zombie(pid: int) -> bool:
    """Whether `pid` has exited and only waits to be reaped (it holds nothing any more)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies, which another parent may never
    reap, do not count)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pgid, os.WNOHANG)  # reap the leader if it is our child
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":  # fields: state, ppid, pgrp, …
            return True
    return False


def _wait_group_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while group_alive(pgid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL)
    return True


def stop(
    proc: subprocess.Popen[Any],
    grace: float = 5.0,
    signals: Sequence[int] = (signal.SIGTERM,),
) -> int | None:
    """Stop `proc` and its group: each signal in turn with `grace` seconds for the leader to
    exit, then SIGKILL for what is left. Returns once the leader is reaped; its exit code."""
    if not POSIX:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
        return proc.wait()
    for sig in signals:
        if proc.poll() is not None:
            break
        signal_group(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)
            break
    signal_group(proc.pid, signal.SIGKILL)
    return proc.wait()


async def stop_async(
    proc: asyncio.subprocess.Process,
    grace: float = 5.0,
    signals: Sequence[int] = (signal.SIGTERM,),
) -> int | None:
    """`stop` for asyncio's processes."""
    if not POSIX:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), grace)
            except TimeoutError:
                proc.kill()
        return await proc.wait()
    for sig in signals:
        if proc.returncode is not None:
            break
        signal_group(proc.pid, sig)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), grace)
            break
    signal_group(proc.pid, signal.SIGKILL)
    return await proc.wait()


def stop_group(pgid: int, grace: float = 5.0) -> None:
    """Stop a group we did not start in this process (a pid file names its leader): SIGTERM,
    wait up to `grace` seconds for the whole group, SIGKILL, and wait until it is gone."""
    if not signal_group(pgid, signal.SIGTERM):
        return
    if _wait_group_gone(pgid, grace):
        return
    signal_group(pgid, signal.SIGKILL)
    _wait_group_gone(pgid, 10.0)


def owner_env(owner: str) -> dict[str, str]:
    """The environment entry that marks a process (and all it starts) as `owner`'s."""
    return {OWNER_ENV: owner}


def owned_pids(owner: str) -> list[int]:
    """Every process on this machine (that we may read) whose environment says `owner`."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    needle = f"{OWNER_ENV}={owner}".encode()
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
    return Path(f"/proc/{pid}").exists() and not is_zombie(pid)


def sweep_owned(owner: str, grace: float = 5.0) -> int:
    """Stop every process marked as `owner`'s: SIGTERM, `grace` seconds, SIGKILL; returns once
    none is left, with how many there were."""
    pids = owned_pids(owner)
    if not pids:
        return 0
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(_POLL)
    for pid in owned_pids(owner):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline and any(_alive(p) for p in owned_pids(owner)):
        time.sleep(_POLL)
    return len(pids)
