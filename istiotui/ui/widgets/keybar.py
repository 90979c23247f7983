"""The footer: the registry's visible actions that apply where the focus is, in the current
language, fitted to the width."""

from __future__ import annotations

from collections.abc import Collection

from rich.text import Text
from textual.screen import Screen
from textual.widget import Widget

from istiotui.lab.model import Lang
from istiotui.ui.keymap import ACTIONS

# How a key is written for the learner (Textual's names otherwise: `j`, `enter`, `shift+tab`).
_KEY_TEXT = {
    "question_mark": "?",
    "slash": "/",
    "colon": ":",
    "escape": "esc",
    "ctrl+c": "^c",
    "ctrl+p": "^p",
    "ctrl+q": "^q",
    "shift+tab": "⇧tab",
}


def key_text(key: str) -> str:
    return _KEY_TEXT.get(key, key)


def key_label(keys: str, key_display: str | None) -> str:
    return key_display or key_text(keys.split(",")[0])


def footer_text(lang: Lang, width: int, active: Collection[str] | None = None) -> Text:
    """Keys as chips when they fit; else `a:Apply d:Diff …`, which fits 80 columns.

    `active`: the ids of the bindings that act where the focus is (None: all of them)."""
    shown = [
        (key_label(a.keys, a.key_display), a.description(lang))
        for a in ACTIONS
        if a.show and (active is None or a.id in active)
    ]
    # `:` where it opens the palette; in a field where it is typed, Ctrl+P.
    palette = ":" if active is None or "app.palette" in active else "^p"
    shown.append((palette, "paleta" if lang == "es" else "palette"))
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

    def on_mount(self) -> None:
        # Focus moving (or a key's action becoming possible) changes which keys act.
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _: Screen) -> None:
        self.refresh()

    def show(self, lang: Lang) -> None:
        self.lang = lang
        self.refresh()

    def render(self) -> Text:
        active = {
            b.binding.id for b in self.screen.active_bindings.values() if b.enabled and b.binding.id
        }
        return footer_text(self.lang, self.size.width, active)
