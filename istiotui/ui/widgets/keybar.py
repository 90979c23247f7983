"""The footer: the registry's visible actions in the current language, fitted to the width."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from istiotui.lab.model import Lang
from istiotui.ui.keymap import ACTIONS


def key_label(keys: str, key_display: str | None) -> str:
    return key_display or keys.split(",")[0]


def footer_text(lang: Lang, width: int) -> Text:
    """Keys as chips when they fit; else `a:Apply d:Diff …`, which fits 80 columns."""
    shown = [(key_label(a.keys, a.key_display), a.description(lang)) for a in ACTIONS if a.show]
    shown.append(("^p", "paleta" if lang == "es" else "palette"))
    chips = Text(no_wrap=True, overflow="ellipsis")
    for key, what in shown:
        chips.append(f" {key} ", "reverse bold")
        chips.append(f" {what} ")
    if chips.cell_len <= width:
        return chips
    compact = Text(no_wrap=True, overflow="ellipsis")
    for key, what in shown[:-1]:  # the palette is on the help screen
        compact.append(key, "bold reverse")
        compact.append(f":{what} ")
    return compact


class KeyBar(Widget):
    DEFAULT_CSS = "KeyBar { dock: bottom; height: 1; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lang: Lang = "en"

    def show(self, lang: Lang) -> None:
        self.lang = lang
        self.refresh()

    def render(self) -> Text:
        return footer_text(self.lang, self.size.width)
