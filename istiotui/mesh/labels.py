"""matchLabels-style selection: the one definition every layer uses."""

from __future__ import annotations

from collections.abc import Mapping


def selects(
    selector: Mapping[str, str] | None,
    labels: Mapping[str, str] | None,
    *,
    empty_selects_all: bool,
) -> bool:
    """Whether every key/value of `selector` is among `labels`.

    What an empty (or absent) selector means depends on who asks, so the caller says: a Service
    with no selector gets no endpoints (False), a DestinationRule subset without labels takes
    every pod of its host (True).
    """
    if not selector:
        return empty_selects_all
    labels = labels or {}
    return all(labels.get(k) == v for k, v in selector.items())
