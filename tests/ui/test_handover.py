"""The backend's hand-over from the connect worker: a connect overtaken by a reconnect or by the
app's end is told to close its own backend, from another thread as the worker calls it."""

from __future__ import annotations

import threading

from istiotui.ui.handover import Handover


class Closable:
    """Stands in for a Backend: the hand-over only keeps it and gives it back."""


def test_the_first_connect_hands_its_backend_over() -> None:
    slot = Handover()
    backend = Closable()
    assert slot.adopt(slot.ticket(), backend) and slot.backend is backend
    assert slot.let_go() is backend and slot.backend is None


def test_a_connect_overtaken_by_a_reconnect_is_refused() -> None:
    slot = Handover()
    slow = slot.ticket()
    slot.let_go()  # `r` while the first connect still runs
    fresh = slot.ticket()
    first, second = Closable(), Closable()
    done = []
    worker = threading.Thread(target=lambda: done.append(slot.adopt(slow, first)))
    worker.start()
    worker.join()
    assert done == [False] and slot.backend is None  # the worker closes `first` itself
    assert slot.adopt(fresh, second) and slot.backend is second


def test_nothing_is_adopted_after_the_app_has_let_go_for_good() -> None:
    slot = Handover()
    ticket = slot.ticket()
    assert slot.let_go() is None  # the app ends before the connect returns
    assert not slot.adopt(ticket, Closable())
    assert slot.backend is None
