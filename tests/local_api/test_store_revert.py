"""Store.revert: how the API undoes a write the data plane refused — a change of its own, seen by
watches, that puts the previous object back, and never undoes a later writer's change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from istiotui.local.store import CorruptStore, Store, read_file
from istiotui.mesh.kinds import by_kind

CM = by_kind("", "ConfigMap")
assert CM is not None


def _cm(data: str) -> dict:
    return {"metadata": {"name": "c", "namespace": "default"}, "data": {"k": data}}


def test_an_undone_update_restores_the_object_and_watchers_see_both() -> None:
    store = Store()
    old = store.create(CM, "default", _cm("1"))
    w, _ = store.watch(CM, "default", lambda _o: True, old["metadata"]["resourceVersion"])
    new = store.update(CM, "default", _cm("2"))
    assert store.revert(CM, old, new)
    now = store.get(CM, "default", "c")
    assert now["data"] == {"k": "1"} and now["metadata"]["uid"] == old["metadata"]["uid"]
    assert int(now["metadata"]["resourceVersion"]) > int(new["metadata"]["resourceVersion"])
    seen = [w.queue.get_nowait() for _ in range(w.queue.qsize())]
    assert [(c.type, c.new["data"]["k"]) for c in seen] == [("MODIFIED", "2"), ("MODIFIED", "1")]


def test_an_undone_create_deletes_and_an_undone_delete_restores_the_uid() -> None:
    store = Store()
    created = store.create(CM, "default", _cm("1"))
    assert store.revert(CM, None, created)
    assert store.find(CM, "default", "c") is None
    again = store.create(CM, "default", _cm("2"))
    gone = store.delete(CM, "default", "c")
    assert store.revert(CM, gone, None)
    assert store.get(CM, "default", "c")["metadata"]["uid"] == again["metadata"]["uid"]


def test_a_later_write_is_never_undone() -> None:
    store = Store()
    old = store.create(CM, "default", _cm("1"))
    mine = store.update(CM, "default", _cm("2"))
    store.update(CM, "default", _cm("3"))  # another writer, in between
    assert not store.revert(CM, old, mine)
    assert store.get(CM, "default", "c")["data"] == {"k": "3"}


@pytest.mark.parametrize(
    "text",
    ["{", '{"objects": []}', '{"objects": {"x": [{"apiVersion": "v1", "kind": "ConfigMap"}]}}',
     '{"resourceVersion": "x"}', "null"],
)  # fmt: skip
def test_a_store_file_that_does_not_read_back_is_named(tmp_path: Path, text: str) -> None:
    path = tmp_path / "store.json"
    path.write_text(text)
    with pytest.raises(CorruptStore) as err:
        read_file(path)
    assert err.value.path == path
    with pytest.raises(CorruptStore):
        Store(path)


def test_a_store_file_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    store = Store(path)
    store.create(CM, "default", _cm("1"))
    store.flush()
    rv, objects = read_file(path)
    assert rv == store.rv and ("c", "ConfigMap") in {
        (o["metadata"]["name"], o["kind"]) for _k, o in objects
    }
    assert json.loads(path.read_text())["resourceVersion"] == rv
