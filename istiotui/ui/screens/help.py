"""Every key, grouped, generated from the action registry."""

from __future__ import annotations

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
from istiotui.ui.widgets.keybar import key_label


def help_rows(lang: Lang) -> list[tuple[str, str]]:
    """(key, description) rows, a group's title before its actions, from the registry."""
    rows: list[tuple[str, str]] = []
    for group, (es, en) in GROUP_TITLES.items():
        actions = [a for a in ACTIONS if a.group == group]
        if not actions:
            continue
        rows.append(("", f"[b underline]{es if lang == 'es' else en}[/]"))
        for a in actions:
            keys = " ".join(key_label(k, None) for k in a.keys.split(","))
            rows.append((a.key_display or keys, a.description(lang)))
    rows.append(("ctrl+p", "Paleta de comandos" if lang == "es" else "Command palette"))
    return rows


def help_table(lang: Lang) -> Table:
    """Two columns of keys side by side, so the whole list fits 80×24."""
    rows = help_rows(lang)
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

    def __init__(self, lang: Lang) -> None:
        super().__init__()
        self.lang = lang

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"[b]{t('help', self.lang)}[/]   [dim]{t('close', self.lang)}[/]")
            with VerticalScroll():
                yield Static(help_table(self.lang))
