"""Every key, grouped: generated from the action registry, and from the bindings the app really
has, so that a key bound elsewhere (Textual's own) is listed too and the list cannot drift."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import zip_longest
from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from istiotui.lab.model import Lang
from istiotui.lab.words import word as t
from istiotui.ui.keymap import ACTIONS, GROUP_TITLES
from istiotui.ui.widgets.keybar import key_text


def help_rows(lang: Lang, bound: Iterable[Binding] = ()) -> list[tuple[str, str]]:
    """(key, description) rows, a group's title before its actions, from the registry; then the
    `bound` bindings whose keys the registry does not name (Textual's own)."""
    rows: list[tuple[str, str]] = []
    for group, (es, en) in GROUP_TITLES.items():
        actions = [a for a in ACTIONS if a.group == group]
        if not actions:
            continue
        rows.append(("", f"[b underline]{es if lang == 'es' else en}[/]"))
        for a in actions:
            rows.append((" ".join(key_text(k) for k in a.keys.split(",")), a.description(lang)))
    named = {k for a in ACTIONS for k in a.keys.split(",")}
    others = {b.key: b.description or b.action for b in bound if b.key not in named}
    others = {k: what for k, what in others.items() if not _system(k, bound)}
    if others:
        rows.append(("", "[b underline]Textual[/]"))
        rows += [(key_text(k), what) for k, what in sorted(others.items())]
    return rows


def _system(key: str, bound: Iterable[Binding]) -> bool:
    """Textual's hidden bindings (e.g. Ctrl+C's hint to use Ctrl+Q, replaced by ours)."""
    return all(b.system for b in bound if b.key == key)


def help_table(lang: Lang, bound: Iterable[Binding] = ()) -> Table:
    """Two columns of keys side by side, so the whole list fits 80×24."""
    rows = help_rows(lang, bound)
    half = (len(rows) + 1) // 2
    if rows[half - 1][0] == "":  # a group's title stays with its first key
        half -= 1
    left, right = rows[:half], rows[half:]
    table = Table(box=None, show_header=False, padding=(0, 1, 0, 0), expand=True)
    for style in ("bold", None, "bold", None):
        table.add_column(style=style, no_wrap=True)
    for one, other in zip_longest(left, right, fillvalue=("", "")):
        table.add_row(*one, *other)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[Binding]] = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, lang: Lang, bound: Iterable[Binding] = ()) -> None:
        """`bound`: the bindings in force (the app's, the main screen's)."""
        super().__init__()
        self.lang = lang
        self.bound = list(bound)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"[b]{t('help', self.lang)}[/]   [dim]{t('close', self.lang)}[/]")
            with VerticalScroll():
                yield Static(help_table(self.lang, self.bound))
