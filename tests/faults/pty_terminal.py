"""`istiotui` in a pseudo-terminal, as a user starts it (the console script), for the fault tests.

Output is collected by a thread until `stop_reading()` (a terminal that no longer reads) or
`hang_up()` (the terminal is gone: the master side closed, as when an SSH session drops).
"""

from __future__ import annotations

import fcntl
import os
import pty
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def console_script() -> list[str]:
    """The `istiotui` the venv installed (next to this Python), else `python -m istiotui`."""
    script = Path(sys.executable).with_name("istiotui")
    if script.exists():
        return [str(script)]
    found = shutil.which("istiotui")
    return [found] if found else [sys.executable, "-m", "istiotui"]


class Terminal:
    def __init__(self, argv: list[str], env: dict[str, str], rows: int = 24, cols: int = 80):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.fd = master
        self.proc = subprocess.Popen(
            [*console_script(), *argv],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={"TERM": "xterm-256color", **env},
            cwd=ROOT,
            start_new_session=True,  # its own session: the pty is its controlling terminal
        )
        os.close(slave)
        self.output = bytearray()
        self._reading = threading.Event()
        self._reading.set()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while self._reading.is_set():
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk

    def shows(self, text: str) -> bool:
        return text.encode() in self.output

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def stop_reading(self) -> None:
        """The terminal stays, but reads no more: the app's writes fill it and then block."""
        self._reading.clear()
        # The reader may sit in a read; one more byte of output wakes it up to stop.

    def hang_up(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def gone_within(self, seconds: float) -> bool:
        try:
            self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            return False
        return True

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.hang_up()


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)
