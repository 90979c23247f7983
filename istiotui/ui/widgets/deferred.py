"""Places for what is not part of the first frame: the panels beside the step, hidden tabs.

A screen is *drawn* once its first frame has been written; until then these places stay empty
(or show a light draft), so that their imports, styles and layout do not delay it. Composed
again later (a resize, a language switch), they are filled at once: nothing flashes empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from weakref import WeakSet

from textual.app import ComposeResult
from textual.containers import Container
from textual.dom import DOMNode
from textual.message import Message
from textual.widget import Widget

_drawn: WeakSet[DOMNode] = WeakSet()  # screens whose first frame has been written


def drawn(screen: DOMNode) -> bool:
    return screen in _drawn


def mark_drawn(screen: DOMNode) -> None:
    _drawn.add(screen)


class AfterFirstFrame(Container):
    """Composes what `make` gives (one widget, or several as a compose method yields them) once
    the screen has been drawn. Like `textual.lazy.Lazy`, but quitting before then (a key press
    or a signal during start-up) is harmless: nothing is mounted into a screen that is going
    away. Posts `Filled` when it was filled late, so that the screen draws its model into the
    widgets that were missing."""

    DEFAULT_CSS = "AfterFirstFrame { height: 1fr; }"

    class Filled(Message):
        """The deferred widgets are mounted."""

    def __init__(self, make: Callable[[], Widget | Iterable[Widget]], **kwargs) -> None:
        super().__init__(**kwargs)
        self._make = make
        self.filled = False  # what `make` gives is mounted (tests wait on this, not on time)

    def compose(self) -> ComposeResult:
        if drawn(self.screen):
            self.filled = True
            made = self._make()
            if isinstance(made, Widget):
                yield made
            else:
                yield from made

    def on_mount(self) -> None:
        if not drawn(self.screen):
            self.call_after_refresh(self._fill)

    async def fill_now(self) -> None:
        """Filled at once, not after the first frame: a key needs what it holds (`/` the
        filter, typed before the first frame)."""
        await self._fill()

    async def _fill(self) -> None:
        if not self.is_attached or self.filled:
            return
        mark_drawn(self.screen)
        await self.recompose()
        if self.is_attached:
            self.post_message(self.Filled())
