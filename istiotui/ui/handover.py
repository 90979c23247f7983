"""The app's backend, handed over from the connect worker's thread.

A connect takes a ticket when it starts; the backend it opens becomes the app's only if no
backend has been let go since (`r` reconnects, the app ends). Otherwise the connect closes its
own: a slow connect overtaken by another never leaks a session or leaves a second watch posting.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the kubernetes client loads in the connect worker, after the first frame
    from istiotui.ui.backend import Backend


class Handover:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ticket = 0
        self.backend: Backend | None = None

    def ticket(self) -> int:
        with self._lock:
            return self._ticket

    def adopt(self, ticket: int, backend: Backend) -> bool:
        """From the connect worker's thread: True when the backend is now the app's."""
        with self._lock:
            if ticket != self._ticket:
                return False
            self.backend = backend
            return True

    def let_go(self) -> Backend | None:
        """The backend, no longer the app's (the caller closes it); connects under way stand
        down."""
        with self._lock:
            self._ticket += 1
            backend, self.backend = self.backend, None
        return backend
