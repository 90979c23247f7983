"""The store says which objects changed since a version a view drew, or that it cannot."""

from __future__ import annotations

from istiotui.cluster.watch import WatchEvent
from istiotui.ui.store import ResourceStore


def pod(name: str, namespace: str = "ns", phase: str = "Running") -> dict:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": namespace},
            "status": {"phase": phase}}  # fmt: skip


def test_changed_since_names_what_was_added_changed_or_deleted() -> None:
    store = ResourceStore(lambda: 0.0)
    store.apply([WatchEvent("ADDED", "Pod", pod("a")), WatchEvent("ADDED", "Pod", pod("b"))])
    seen = store.version
    assert store.changed_since(seen) == set()
    store.apply([
        WatchEvent("MODIFIED", "Pod", pod("a", phase="Pending")),
        WatchEvent("DELETED", "Pod", pod("b")),
        WatchEvent("ADDED", "Pod", pod("c", "other")),
        WatchEvent("DELETED", "Pod", pod("never-there")),  # nothing to say about it
    ])  # fmt: skip
    assert store.changed_since(seen) == {("Pod", "ns", "a"), ("Pod", "ns", "b"),
                                         ("Pod", "other", "c")}  # fmt: skip
    assert set(store.in_namespace("ns")) == {("Pod", "ns", "a")}
    assert [o["metadata"]["name"] for o in store.of_kind("Pod")] == ["a", "c"]
    assert store.of_kind("Pod", "other")[0]["metadata"]["name"] == "c"


def test_a_view_too_far_behind_or_before_a_clear_starts_again() -> None:
    store = ResourceStore(lambda: 0.0)
    store.apply([WatchEvent("ADDED", "Pod", pod("a"))])
    first = store.version
    for k in range(6000):  # the journal keeps a bounded tail
        store.apply([WatchEvent("MODIFIED", "Pod", pod("a", phase=str(k)))])
    assert store.changed_since(first) is None
    assert store.changed_since(store.version - 1) == {("Pod", "ns", "a")}
    seen = store.version
    store.clear()
    assert store.changed_since(seen) is None
    assert store.changed_since(store.version) == set()
    assert store.in_namespace("ns") == {}
