"""Running `vagrant up|halt|provision` with streamed output lines and progress.

python-vagrant streams only `up` and `reload`, and starts Vagrant in our own process group, so
cancelling it would leave its VBoxManage and ssh children behind. An ActionRun starts Vagrant
(found the way python-vagrant finds it) in a process group of its own, reads its
machine-readable output line by line, and stops the whole tree on cancel() or at exit, the way
the host's OS allows (process_tree.py: signals to the group on Linux and macOS, Ctrl-Break and
taskkill on Windows).
"""

from __future__ import annotations

import atexit
import enum
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from istiotui.vms import machine_readable
from istiotui.vms.action_progress import ActionProgress, ProgressTracker
from istiotui.vms.process_tree import ProcessTree, for_platform, stop
from istiotui.vms.settings import MachineSpec

# How long Vagrant gets to clean up after an interrupt (it finishes the current step, as it
# does on a first Ctrl-C) before the tree is asked to terminate, then killed.
INTERRUPT_GRACE_S = 30.0
TERMINATE_GRACE_S = 5.0


class VagrantAction(enum.StrEnum):
    UP = "up"
    HALT = "halt"
    PROVISION = "provision"


@dataclass(frozen=True)
class OutputLine:
    """One line for the output panel. `level` is Vagrant's ui type (info, detail, output,
    warn, error, success), "error" for its error-exit message, or "raw" for other text."""

    text: str
    machine: str | None
    level: str


@dataclass(frozen=True)
class ProgressChanged:
    progress: ActionProgress


@dataclass(frozen=True)
class ActionFinished:
    ok: bool
    returncode: int
    # Vagrant's error, condensed, when it failed (None on success).
    error: str | None
    cancelled: bool
    progress: ActionProgress


ActionEvent = OutputLine | ProgressChanged | ActionFinished

_live: set[ActionRun] = set()
_live_lock = threading.Lock()


@atexit.register
def _stop_live_runs() -> None:
    with _live_lock:
        runs = list(_live)
    for run in runs:
        run.cancel(interrupt_grace=5.0)


class ActionRun:
    """One running Vagrant action. Iterate `events()` (blocking: call it from a thread worker)
    until ActionFinished; `cancel()` may be called from any thread."""

    def __init__(
        self,
        vagrant_exe: str,
        action: VagrantAction,
        machine: str | None,
        machines: Sequence[MachineSpec],
        root: Path,
        env: Mapping[str, str],
        tree: ProcessTree | None = None,
    ) -> None:
        self.action = action
        self.tree = tree if tree is not None else for_platform(sys.platform)
        self.machine = machine
        self.argv = [vagrant_exe, str(action), "--machine-readable"]
        if machine is not None:
            self.argv.append(machine)
        self._tracker = ProgressTracker(str(action), machines)
        self._cancelled = threading.Event()
        self._proc = subprocess.Popen(
            self.argv,
            cwd=root,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            **self.tree.popen_options(),
        )
        with _live_lock:
            _live.add(self)

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def progress(self) -> ActionProgress:
        return self._tracker.snapshot()

    def events(self) -> Iterator[ActionEvent]:
        error: str | None = None
        assert self._proc.stdout is not None
        try:
            for raw in iter(self._proc.stdout.readline, b""):
                record = machine_readable.parse_line(raw.decode("utf-8", "replace"))
                if record.kind == "error-exit":
                    error = machine_readable.first_paragraph(record.text)
                yield from _lines(record)
                if self._tracker.feed(record):
                    yield ProgressChanged(self._tracker.snapshot())
            returncode = self._proc.wait()
        finally:
            # A consumer that stops early leaves Vagrant running: it stays in _live so that
            # __exit__, cancel() or the exit hook still stops it.
            if self._proc.poll() is not None:
                self._close()
        ok = returncode == 0 and error is None and not self._cancelled.is_set()
        if not ok and error is None:
            error = "cancelled" if self._cancelled.is_set() else f"vagrant exited with {returncode}"
        yield ActionFinished(
            ok, returncode, None if ok else error, self._cancelled.is_set(), self.progress
        )

    def cancel(
        self, interrupt_grace: float = INTERRUPT_GRACE_S, terminate_grace: float = TERMINATE_GRACE_S
    ) -> None:
        """Interrupt Vagrant like a Ctrl-C (Ctrl-Break on Windows), then escalate; returns once
        Vagrant is gone and its children (VBoxManage, ssh) were ended."""
        self._cancelled.set()
        stop(self._proc, self.tree, interrupt_grace, terminate_grace)
        self._close()

    def _close(self) -> None:
        with _live_lock:
            _live.discard(self)

    def __enter__(self) -> ActionRun:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc.poll() is None:
            self.cancel()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


def _lines(record: machine_readable.Record) -> Iterator[OutputLine]:
    machine = record.target or None
    if record.kind is None:
        if record.raw.strip():
            yield OutputLine(record.raw, None, "raw")
    elif record.kind == "ui" and len(record.data) >= 2:
        for line in record.data[1].splitlines():
            yield OutputLine(line, machine, record.data[0])
    elif record.kind == "error-exit":
        for line in record.text.splitlines():
            yield OutputLine(line, machine, "error")
