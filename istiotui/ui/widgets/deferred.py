"""A place for a widget that is not part of the first frame (a hidden tab's content)."""

from __future__ import annotations

from collections.abc import Callable

from textual.containers import Container
from textual.widget import Widget


class AfterFirstFrame(Container):
    """Mounts what `make` builds once the screen has been drawn, so that its imports and its
    layout do not delay the first frame. Like `textual.lazy.Lazy`, but quitting before then
    (a key press or a signal during start-up) is harmless: nothing is mounted into a screen
    that is going away."""

    DEFAULT_CSS = "AfterFirstFrame { height: 1fr; }"

    def __init__(self, make: Callable[[], Widget]) -> None:
        super().__init__()
        self._make = make

    def on_mount(self) -> None:
        self.call_after_refresh(self._fill)

    def _fill(self) -> None:
        if self.is_attached:
            self.mount(self._make())
