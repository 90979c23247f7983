"""The footer: the registry's visible actions that apply where the focus is, in the current
language, fitted to the width (the main screen's; a screen with keys of its own shows those)."""

from __future__ import annotations

from collections.abc import Collection

from rich.text import Text
from textual.screen import Screen
from textual.widget import Widget

from istiotui.lab.model import Lang
from istiotui.ui.keymap import ACTIONS, UiAction, by_id, screen_actions

# How a key is written for the learner (Textual's names otherwise: `j`, `enter`, `shift+tab`).
_KEY_TEXT = {
    "question_mark": "?",
    "slash": "/",
    "colon": ":",
    "escape": "esc",
    "shift+tab": "⇧tab",
}
# The main bar's keys left out first, in this order, when they do not fit (80 columns in
# Spanish, or with the tree's `y`/`l`): `q` is known from every tool (and ^c quits too), `/` and
# clean-up are a press of `?` away, and `a` shows the diff before it applies. What stays at 80×24
# is the step's round (apply, probe, verify), copying its commands, the focused panel's keys
# and the help. docs/tui.md, Keys.
DROP_FIRST = ("app.quit", "tree.filter", "step.cleanup", "step.diff")


def key_text(key: str) -> str:
    if key.startswith("ctrl+"):
        return "^" + key.removeprefix("ctrl+")
    return _KEY_TEXT.get(key, key)


def key_label(keys: str, key_display: str | None) -> str:
    return key_display or key_text(keys.split(",")[0])


def compact(actions: list[UiAction], lang: Lang, width: int) -> Text:
    """`a:Apply d:Diff …`, the keys of DROP_FIRST left out until it fits `width`."""
    kept = list(actions)

    def line() -> Text:
        out = Text(no_wrap=True, overflow="ellipsis")
        for i, a in enumerate(kept):
            out.append(key_label(a.keys, a.key_display), "bold reverse")
            out.append(f":{a.bar_words(lang)}" + (" " if i < len(kept) - 1 else ""))
        return out

    text = line()
    for action_id in DROP_FIRST:
        if text.cell_len <= width:
            break
        kept = [a for a in kept if a.id != action_id]
        text = line()
    text.truncate(width, overflow="ellipsis")
    return text


def footer_text(lang: Lang, width: int, active: Collection[str] | None = None) -> Text:
    """Keys as chips when they fit; else the compact form, which fits 80 columns.

    `active`: the ids of the bindings that act where the focus is (None: all of them)."""
    actions = [a for a in ACTIONS if a.show and (active is None or a.id in active)]
    shown = [(key_label(a.keys, a.key_display), a.description(lang)) for a in actions]
    # `:` where it opens the palette; in a field where it is typed, Ctrl+P.
    palette = ":" if active is None or "app.palette" in active else "^p"
    shown.append((palette, "paleta" if lang == "es" else "palette"))
    chips = Text(no_wrap=True, overflow="ellipsis")
    for key, what in shown:
        chips.append(f" {key} ", "reverse bold")
        chips.append(f" {what} ")
    if chips.cell_len <= width:
        return chips
    return compact(actions, lang, width)  # the palette is on the help screen


def screen_keys(lang: Lang, width: int, screen: str, active: Collection[str] | None) -> Text:
    """A screen's own visible keys, then the help's: the key line of the Graph view."""
    actions = [a for a in screen_actions(screen) if a.show and (active is None or a.id in active)]
    return compact([*actions, by_id("app.help")], lang, width)


def key_hint(lang: Lang, screen: str) -> str:
    """`enter: Explain · ^s: Send it once · …`: a dialog's line of its own visible keys."""
    return " · ".join(
        f"{key_label(a.keys, a.key_display)}: {a.description(lang)}"
        for a in screen_actions(screen)
        if a.show
    )


class KeyBar(Widget):
    DEFAULT_CSS = "KeyBar { dock: bottom; height: 1; }"

    def __init__(self, lang: Lang = "en", screen: str | None = None, **kwargs) -> None:
        """`screen`: the keymap's name of a screen whose own keys to show (None: the main's)."""
        super().__init__(**kwargs)
        self.lang: Lang = lang
        self.scope = screen

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
        if self.scope is not None:
            return screen_keys(self.lang, self.size.width, self.scope, active)
        return footer_text(self.lang, self.size.width, active)
