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


def help_rows(
    lang: Lang, bound: Iterable[Binding] = (), first: str | None = None
) -> list[tuple[str, str]]:
    """(key, description) rows, a group's title before its actions, from the registry (the
    `first` group first: the keys of the screen the help is asked on); then the `bound`
    bindings whose keys the registry does not name (Textual's own)."""
    rows: list[tuple[str, str]] = []
    groups = sorted(GROUP_TITLES.items(), key=lambda item: item[0] != first)  # stable
    for group, (es, en) in groups:
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


def help_table(lang: Lang, bound: Iterable[Binding] = (), first: str | None = None) -> Table:
    """Two columns of keys side by side (at 80×24 the list scrolls)."""
    rows = help_rows(lang, bound, first)
    # The right column starts with a group's title: the one nearest the middle.
    titles = [i for i, (key, _) in enumerate(rows) if key == "" and i > 0] or [len(rows)]
    half = min(titles, key=lambda i: abs(i - (len(rows) + 1) / 2))
    left, right = rows[:half], rows[half:]
    table = Table(box=None, show_header=False, padding=(0, 1, 0, 0), expand=True)
    for half_rows in (left, right):
        # Keys whole (`esc g`); a description too long for the dialog is the one cut.
        keys = max((len(key) for key, _ in half_rows), default=0)
        table.add_column(style="bold", no_wrap=True, min_width=keys)
        table.add_column(no_wrap=True)
    for one, other in zip_longest(left, right, fillvalue=("", "")):
        table.add_row(*one, *other)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[Binding]] = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, lang: Lang, bound: Iterable[Binding] = (), first: str | None = None) -> None:
        """`bound`: the bindings in force (the app's, the main screen's, the screen's it is asked
        on); `first`: that screen's keymap name, whose keys are listed first."""
        super().__init__()
        self.lang = lang
        self.bound = list(bound)
        self.first = first

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"[b]{t('help', self.lang)}[/]   [dim]{t('close', self.lang)}[/]")
            with VerticalScroll():
                yield Static(help_table(self.lang, self.bound, self.first))
