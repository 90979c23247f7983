"""Progress lines from the executor and the app's own events, newest last."""

from __future__ import annotations

from collections.abc import Iterable

from textual.widgets import RichLog


class Activity(RichLog):
    DEFAULT_CSS = "Activity { scrollbar-size-vertical: 1; }"

    def __init__(self, lines: Iterable[str] = (), **kwargs) -> None:
        super().__init__(wrap=True, markup=False, highlight=False, **kwargs)
        self._initial = list(lines)

    def on_mount(self) -> None:
        for line in self._initial:
            self.write(line)
