"""Keys typed right after the key that opens a field (`/` for the filter or a search).

Textual hands each key to the widget in focus when the key arrives; a burst (a fast typist, a
paste) is queued to the widget that had the focus before `/` moved it, and would act as keys
there (`e` would open the VMs). Such a key reaches the app unused (a field in focus takes the
printable keys out of the bindings), and the app types it into the field.
"""

from __future__ import annotations

from textual import events


def type_into_focused_field(focused: object, event: events.Key) -> None:
    from textual.widgets import Input  # no field before the first frame: loaded at a key

    if isinstance(focused, Input) and event.is_printable and event.character is not None:
        focused.insert_text_at_cursor(event.character)
        event.stop()
        event.prevent_default()
