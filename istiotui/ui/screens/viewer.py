"""The YAML of an object or a container's log: read-only, searchable (`/`, `n`, `N`), and a
log can follow (`F`: fetched again every few seconds, the view kept at its end)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, TextArea
from textual.widgets.text_area import Selection

from istiotui.lab.model import Lang
from istiotui.lab.words import word as t
from istiotui.ui.keymap import VIEWER, bindings, speak

FOLLOW_SECONDS = 2.0


def find_all(text: str, query: str) -> list[tuple[int, int]]:
    """(row, column) of every match of `query` in `text`, ignoring case, in reading order."""
    if not query:
        return []
    wanted = query.casefold()
    found = []
    for row, line in enumerate(text.split("\n")):
        folded = line.casefold()
        col = folded.find(wanted)
        while col >= 0:
            found.append((row, col))
            col = folded.find(wanted, col + 1)
    return found


class TextViewer(ModalScreen[None]):
    BINDINGS: ClassVar[list[Binding]] = bindings("en", VIEWER)  # `speak` puts them in the language
    KEYMAP_SCREEN = VIEWER  # the palette lists its keys over it

    def __init__(
        self, title: str, text: str, lang: Lang, follow: Callable[[], object] | None = None
    ) -> None:
        """`follow`: asks for the text again (a log); the answer comes to `replace_text`."""
        super().__init__()
        speak(self, lang)
        self.title_text, self.text, self.lang = title, text, lang
        self._follow = follow
        self._timer: Timer | None = None
        self.following = False
        self.refreshes = 0
        self.query_text = ""
        self.matches: list[tuple[int, int]] = []
        self.current = -1

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide"):
            yield Label(self._title(), id="viewer-title", markup=True)
            yield Input(placeholder=t("search", self.lang), id="viewer-search", classes="hidden")
            yield Label("", id="viewer-status")
            # Soft-wrapped: a long log line or YAML value is read whole, never cut at the edge.
            yield TextArea(self.text, read_only=True, soft_wrap=True, id="viewer-text")

    def _title(self) -> str:
        keys = t("viewer_keys_log" if self._follow else "viewer_keys", self.lang)
        return f"{self.title_text}   [dim]{keys}[/]"

    def set_language(self, lang: Lang) -> None:
        """`L` or the palette while it is shown: its keys and its line of keys follow."""
        self.lang = lang
        speak(self, lang)
        if not self.is_mounted:  # composed later, in `lang`
            return
        self.query_one("#viewer-title", Label).update(self._title())
        self.query_one("#viewer-search", Input).placeholder = t("search", lang)
        self.refresh_bindings()

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_follow":
            return self._follow is not None
        if action in ("next_match", "previous_match"):
            return bool(self.matches)
        return True

    # -- search ---------------------------------------------------------------------

    def action_search(self) -> None:
        field = self.query_one("#viewer-search", Input)
        field.remove_class("hidden")
        self.set_focus(field)  # at once: what is typed right after `/` is the search

    @on(Input.Submitted, "#viewer-search")
    def _searched(self, event: Input.Submitted) -> None:
        self.query_text = event.value
        self._find()
        self.query_one(TextArea).focus()
        self.refresh_bindings()

    def _find(self) -> None:
        self.matches = find_all(self.query_one(TextArea).text, self.query_text)
        if not self.matches:
            self.current = -1
            status = t("no_match", self.lang, text=self.query_text) if self.query_text else ""
            self.query_one("#viewer-status", Label).update(status)
            return
        # The first match from where the reader is.
        here = self.query_one(TextArea).selection.end
        later = [i for i, at in enumerate(self.matches) if at >= here]
        self._show(later[0] if later else 0)

    def action_next_match(self) -> None:
        if self.matches:
            self._show((self.current + 1) % len(self.matches))

    def action_previous_match(self) -> None:
        if self.matches:
            self._show((self.current - 1) % len(self.matches))

    def _show(self, index: int) -> None:
        self.current = index
        row, col = self.matches[index]
        area = self.query_one(TextArea)
        area.selection = Selection((row, col), (row, col + len(self.query_text)))
        area.scroll_cursor_visible(center=True)
        status = t("match", self.lang, i=index + 1, n=len(self.matches))
        self.query_one("#viewer-status", Label).update(status)

    # -- following a log ------------------------------------------------------------

    def action_toggle_follow(self) -> None:
        if self._follow is None:
            return
        self.following = not self.following
        if self.following:
            self._follow()  # at once, then every few seconds
            if self._timer is None:
                self._timer = self.set_interval(FOLLOW_SECONDS, self._follow)
            else:
                self._timer.resume()
        elif self._timer is not None:
            self._timer.pause()
        self.query_one("#viewer-status", Label).update(
            t("following", self.lang) if self.following else ""
        )

    def replace_text(self, text: str) -> None:
        """New text for the same object (a followed log): kept at its end when following."""
        self.refreshes += 1
        if text == self.text:
            return
        self.text = text
        area = self.query_one(TextArea)
        area.load_text(text)
        if self.following:
            area.move_cursor(area.document.end)
            area.scroll_end(animate=False)
        if self.query_text:
            self.matches = find_all(text, self.query_text)
            self.current = min(self.current, len(self.matches) - 1)

    def action_close(self) -> None:
        """Esc: closes the search first when it is open, then the viewer."""
        field = self.query_one("#viewer-search", Input)
        if field.has_focus:
            field.add_class("hidden")
            self.query_one(TextArea).focus()
            return
        self.dismiss()
