"""SIGTERM and SIGHUP end the app as `q` does, so that exit hooks run (the VM layer's stops a
running vagrant); Python's default for these kills the process without them."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable

# Windows has no SIGHUP: only the signals this host defines.
EXIT_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))


class ExitSignals:
    """Handlers on the running loop while the app runs; the previous ones back afterwards."""

    def __init__(self) -> None:
        self._saved: dict[int, object] = {}

    def catch(self, on_signal: Callable[[], object]) -> None:
        loop = asyncio.get_running_loop()
        for sig in EXIT_SIGNALS:
            previous = signal.getsignal(sig)
            try:
                loop.add_signal_handler(sig, on_signal)
            except (NotImplementedError, RuntimeError, ValueError):
                continue  # not the main thread, or no such signals here
            self._saved[sig] = previous

    def release(self) -> None:
        loop = asyncio.get_running_loop()
        for sig, previous in self._saved.items():
            loop.remove_signal_handler(sig)
            with contextlib.suppress(TypeError, ValueError):
                signal.signal(sig, previous)  # e.g. an embedding test runner's own handler
        self._saved.clear()
