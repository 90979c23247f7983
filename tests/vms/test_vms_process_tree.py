"""Stopping Vagrant with everything it started, per host OS (istiotui/vms/process_tree.py).

The POSIX way runs for real on a process group that resists the first signal. The Windows way
cannot run here (no Ctrl-Break, no taskkill): its decisions are checked on a process stand-in
that records what it is sent, with taskkill's command lines recorded instead of run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from istiotui.vms.process_tree import (
    CREATE_NEW_PROCESS_GROUP,
    CTRL_BREAK_EVENT,
    PosixTree,
    WindowsTree,
    for_platform,
    stop,
)


@pytest.mark.parametrize(
    ("platform", "kind", "graceful"),
    [("linux", PosixTree, True), ("darwin", PosixTree, True), ("win32", WindowsTree, False)],
)
def test_each_host_gets_its_own_way_of_stopping(platform: str, kind: type, graceful: bool) -> None:
    tree = for_platform(platform)
    assert isinstance(tree, kind) and tree.graceful is graceful


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")
def test_posix_escalates_past_an_ignored_interrupt_and_reaps_the_group() -> None:
    # Stands for Vagrant busy in a step it will not leave on SIGINT, with a child of its own
    # that outlives SIGTERM too (as VBoxManage may): only the reaping SIGKILL ends it.
    script = "trap '' INT; (trap '' TERM; exec sleep 300) & echo $!; wait"
    proc = subprocess.Popen(
        ["bash", "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        **PosixTree().popen_options(),
    )
    assert proc.stdout is not None
    child = int(proc.stdout.readline())
    assert os.getpgid(child) == proc.pid  # the child is in Vagrant's group, not ours
    taken = stop(proc, PosixTree(), interrupt_grace=0.5, terminate_grace=10.0)
    assert taken == ["SIGINT", "SIGTERM"]
    assert proc.returncode == -signal.SIGTERM
    # Reaped with the group, though its parent is gone (SIGKILL lands asynchronously).
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _alive(child)
    proc.stdout.close()


class RecordingProcess:
    """A process stand-in: it records what it is sent, and exits at the step told."""

    def __init__(self, pid: int, exits_after: str | None) -> None:
        self.pid = pid
        self.exits_after = exits_after
        self.sent: list[int] = []
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            raise subprocess.TimeoutExpired("vagrant", timeout or 0)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        self.sent.append(sig)
        if self.exits_after == "Ctrl-Break":
            self.returncode = 1


def _windows(proc: RecordingProcess) -> tuple[WindowsTree, list[list[str]]]:
    commands: list[list[str]] = []

    def run(argv: list[str], **_: object) -> None:
        commands.append(argv)
        # A polite taskkill ends it when it is told to; a forced one always does.
        if "/F" in argv or proc.exits_after == "taskkill":
            proc.returncode = 1

    return WindowsTree(run=run), commands


def test_windows_starts_vagrant_in_a_process_group_of_its_own() -> None:
    assert WindowsTree().popen_options() == {"creationflags": CREATE_NEW_PROCESS_GROUP}
    assert CREATE_NEW_PROCESS_GROUP == 0x200  # Windows' value, also where subprocess lacks it


def test_windows_stops_at_ctrl_break_when_vagrant_leaves_then_ends_the_tree() -> None:
    proc = RecordingProcess(4242, exits_after="Ctrl-Break")
    tree, commands = _windows(proc)
    assert stop(proc, tree, interrupt_grace=1.0, terminate_grace=1.0) == ["Ctrl-Break"]
    assert proc.sent == [CTRL_BREAK_EVENT]
    # VBoxManage or ssh may outlive Vagrant: the tree is ended by its root's pid.
    assert commands == [["taskkill", "/F", "/T", "/PID", "4242"]]


@pytest.mark.parametrize(
    ("exits_after", "taken"),
    [
        ("taskkill", ["Ctrl-Break", "taskkill /T"]),
        (None, ["Ctrl-Break", "taskkill /T", "taskkill /T /F"]),
    ],
)
def test_windows_escalates_to_taskkill_then_forced_taskkill(
    exits_after: str | None, taken: list[str]
) -> None:
    proc = RecordingProcess(4243, exits_after=exits_after)
    tree, commands = _windows(proc)
    assert stop(proc, tree, interrupt_grace=1.0, terminate_grace=1.0) == taken
    assert proc.sent == [CTRL_BREAK_EVENT]
    assert commands[0] == ["taskkill", "/T", "/PID", "4243"]
    assert commands[-1] == ["taskkill", "/F", "/T", "/PID", "4243"]  # the tree, always


def test_a_vagrant_already_gone_is_sent_nothing() -> None:
    proc = RecordingProcess(4244, exits_after=None)
    proc.returncode = 0
    tree, commands = _windows(proc)
    assert stop(proc, tree, 1.0, 1.0) == []
    assert proc.sent == []
    assert commands == [["taskkill", "/F", "/T", "/PID", "4244"]]  # only the reaping
