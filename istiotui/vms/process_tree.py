"""Starting Vagrant so that it can be stopped with everything it started, on the host's OS.

Vagrant runs VBoxManage and ssh below it; cancelling must reach them too. POSIX hosts (Linux,
macOS) give it a session of its own and signal the whole group: SIGINT first (Vagrant finishes
its step, as on a first Ctrl-C), then SIGTERM, then SIGKILL. Windows has neither sessions nor
those signals: Vagrant gets a process group of its own (CREATE_NEW_PROCESS_GROUP), which is what
lets Ctrl-Break reach it and only it; then `taskkill /T` asks the whole process tree to close,
and `taskkill /T /F` ends what is left. A Ctrl-C cannot be sent to a new group on Windows, so
there Vagrant may stop without finishing its step.

The host is a parameter (`for_platform(sys.platform)`), so that both behaviours are tested on
any host.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from istiotui import process_group

# subprocess and signal define these on Windows only; the values are Windows' own.
CREATE_NEW_PROCESS_GROUP = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x00000200)
CTRL_BREAK_EVENT = getattr(signal, "CTRL_BREAK_EVENT", 1)


class Process(Protocol):
    """What is used of subprocess.Popen."""

    pid: int

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def send_signal(self, sig: int) -> None: ...


@dataclass(frozen=True)
class Step:
    """One way of asking the tree to stop, and how long to wait for it (None: do not wait)."""

    name: str
    act: Callable[[Process], None]
    grace: float | None


class ProcessTree(Protocol):
    name: str
    # Whether the first step lets Vagrant finish what it is doing (a Ctrl-C).
    graceful: bool

    def popen_options(self) -> dict[str, Any]: ...

    def steps(self, interrupt_grace: float, terminate_grace: float) -> Sequence[Step]: ...

    def reap(self, proc: Process) -> None:
        """End whatever of the tree outlived Vagrant itself."""


def _killpg(sig: int) -> Callable[[Process], None]:
    def act(proc: Process) -> None:
        process_group.signal_group(proc.pid, sig)

    return act


class PosixTree:
    """The project's one way with process groups (istiotui.process_group), in Vagrant's steps."""

    name = "posix"
    graceful = True

    def popen_options(self) -> dict[str, Any]:
        return process_group.spawn_options()

    def steps(self, interrupt_grace: float, terminate_grace: float) -> Sequence[Step]:
        return (
            Step("SIGINT", _killpg(signal.SIGINT), interrupt_grace),
            Step("SIGTERM", _killpg(signal.SIGTERM), terminate_grace),
            Step("SIGKILL", _killpg(getattr(signal, "SIGKILL", signal.SIGTERM)), None),
        )

    def reap(self, proc: Process) -> None:
        _killpg(getattr(signal, "SIGKILL", signal.SIGTERM))(proc)


class WindowsTree:
    name = "windows"
    graceful = False

    def __init__(self, run: Callable[..., Any] = subprocess.run) -> None:
        # `run` starts taskkill; a parameter so that tests on other hosts can record the calls.
        self._run = run

    def popen_options(self) -> dict[str, Any]:
        return {"creationflags": CREATE_NEW_PROCESS_GROUP}

    def _taskkill(self, *flags: str) -> Callable[[Process], None]:
        def act(proc: Process) -> None:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                self._run(
                    ["taskkill", *flags, "/T", "/PID", str(proc.pid)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=30,
                    check=False,
                )

        return act

    @staticmethod
    def _ctrl_break(proc: Process) -> None:
        with contextlib.suppress(OSError, ValueError):
            proc.send_signal(CTRL_BREAK_EVENT)

    def steps(self, interrupt_grace: float, terminate_grace: float) -> Sequence[Step]:
        return (
            Step("Ctrl-Break", self._ctrl_break, interrupt_grace),
            Step("taskkill /T", self._taskkill(), terminate_grace),
            Step("taskkill /T /F", self._taskkill("/F"), None),
        )

    def reap(self, proc: Process) -> None:
        self._taskkill("/F")(proc)


def for_platform(platform: str) -> ProcessTree:
    """The tree handling of a host, from a `sys.platform` value."""
    return WindowsTree() if platform == "win32" else PosixTree()


def stop(
    proc: Process, tree: ProcessTree, interrupt_grace: float, terminate_grace: float
) -> list[str]:
    """Run the tree's steps until Vagrant is gone, then reap its children; returns the names of
    the steps taken (what the caller reports, and what tests check)."""
    taken: list[str] = []
    for step in tree.steps(interrupt_grace, terminate_grace):
        if proc.poll() is not None:
            break
        step.act(proc)
        taken.append(step.name)
        try:
            proc.wait(step.grace)
            break
        except subprocess.TimeoutExpired:
            continue
    tree.reap(proc)
    return taken
