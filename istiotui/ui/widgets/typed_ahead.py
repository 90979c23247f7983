"""Keys typed right after the key that opens a field (`/` for the filter or a search, `:` for
the palette), and a paste that starts with such a key.

Textual hands each key to the widget in focus when the key arrives; a burst (a fast typist, a
paste) is queued to the widget that had the focus before `/` moved it, and would act as keys
there (`e` would open the VMs). Such a key reaches the app unused (a field in focus takes the
printable keys out of the bindings), and the app types it into the field. The actions that open
a field make the app wait until it has the focus (`IstioTui.action_command_palette`,
`MainScreen.action_filter_tree`), so no key of the burst reaches the app before it.

A paste arrives as one event, which the main screen's widgets do not take: one that starts with
`:` or `/` (`:proxies⏎` copied from a note) is typed as keys, up to its first line break.
"""

from __future__ import annotations

from textual import events

try:  # the driver's names for characters, which bindings match (private: guarded)
    from textual.keys import _character_to_key
except ImportError:  # a Textual without it: pastes are not typed, nothing else changes
    _character_to_key = None

PROMPT_KEYS = {":": "colon", "/": "slash"}


def type_into_focused_field(focused: object, event: events.Key) -> None:
    from textual.widgets import Input  # no field before the first frame: loaded at a key

    if isinstance(focused, Input) and event.is_printable and event.character is not None:
        focused.insert_text_at_cursor(event.character)
        event.stop()
        event.prevent_default()


def keys_of_paste(text: str) -> list[events.Key]:
    """The keys that type a pasted `:…` or `/…`: its first line, then Enter if a line break
    followed it. Any other paste gives no keys: typed, its letters would act (`a` applies the
    step, `c` cleans it up), and so would what follows the first line."""
    if not text or text[0] not in PROMPT_KEYS or _character_to_key is None:
        return []
    line, newline, _ = text.replace("\r\n", "\n").replace("\r", "\n").partition("\n")
    keys = [events.Key(PROMPT_KEYS[line[0]], line[0])]
    keys += [events.Key(_character_to_key(c), c) for c in line[1:] if c.isprintable()]  # no tab
    if newline:
        keys.append(events.Key("enter", "\r"))
    return keys
