"""SIGTERM and SIGHUP end the full-screen lab within `DEADLINE_S`, whatever it is doing.

A lost terminal (an SSH session that drops, a killed tmux session) sends SIGHUP; `kill` sends
SIGTERM. The app is asked to quit as with `q`, so that its exit hooks run; but Textual's shutdown
can block for good writing to a terminal that is gone (its writer thread's queue stays full), and
a handler registered with the event loop never runs while the loop is blocked. So the handlers
here are plain Python ones, which run in the main thread even inside a blocked `queue.put`; the
first signal also starts a timer. When normal shutdown has not ended the process after
`GRACE_S`, the timer says its last words (stops what must not outlive the app: a local cluster
whose start nobody was told about, a running vagrant) for at most `LAST_WORDS_S`, then ends the
process with `os._exit(128 + signal)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType

SIGNALS = (signal.SIGTERM, signal.SIGHUP)
GRACE_S = 1.2  # normal shutdown, exit hooks included
LAST_WORDS_S = 0.5  # then what must be stopped, at most this long
DEADLINE_S = 2.0  # the promise: GRACE_S + LAST_WORDS_S stays under it


class Ending:
    def __init__(
        self,
        last_words: list[Callable[[], None]] | None = None,
        grace: float = GRACE_S,
        last_words_s: float = LAST_WORDS_S,
    ) -> None:
        self.last_words = list(last_words or [])
        self.grace = grace
        self.last_words_s = last_words_s
        self.quit: Callable[[], None] | None = None  # asks the running app to quit
        self.signalled: int | None = None
        self._saved: dict[int, object] = {}

    def install(self) -> None:
        for sig in SIGNALS:
            self._saved[sig] = signal.signal(sig, self._on_signal)

    def restore(self) -> None:
        for sig, previous in self._saved.items():
            signal.signal(sig, previous)  # type: ignore[arg-type]
        self._saved.clear()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.signalled is None:
            self.signalled = signum
            timer = threading.Timer(self.grace, self._force)
            timer.daemon = True
            timer.start()
        if self.quit is None:
            # Before the app runs (loading the lab): unwind as an exit does; the timer still
            # ends the process if something holds it.
            raise SystemExit(128 + signum)
        try:
            loop = asyncio.get_running_loop()  # the app's: its loop runs in this thread
        except RuntimeError:
            return  # between the app's loop and the process's end: the timer is running
        loop.call_soon_threadsafe(self.quit)

    def _force(self) -> None:
        words = threading.Thread(target=self._say_last_words, daemon=True)
        words.start()
        words.join(self.last_words_s)
        os._exit(128 + (self.signalled or signal.SIGTERM))

    def _say_last_words(self) -> None:
        for word in self.last_words:
            with contextlib.suppress(Exception):  # one failing must not stop the others
                word()
