"""The step diff: normalised, defaults hidden, real changes shown."""

from __future__ import annotations

import copy

import pytest

from istiotui.mesh.diff import diff_object, normalise

WRITTEN = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "VirtualService",
    "metadata": {"name": "reviews", "namespace": "bookinfo"},
    "spec": {
        "hosts": ["reviews"],
        "http": [{"route": [{"destination": {"host": "reviews", "subset": "v1"}}]}],
    },
}


def served(obj: dict, rv: str = "7") -> dict:
    """What a server returns for an object: its own metadata, status and a defaulted field."""
    out = copy.deepcopy(obj)
    out["metadata"].update(
        {
            "resourceVersion": rv,
            "uid": "u-1",
            "generation": 1,
            "creationTimestamp": "2026-11-25T00:00:00Z",
            "managedFields": [{"manager": "istiotui"}],
        }
    )
    out["spec"]["exportTo"] = ["*"]  # a default the manifest never wrote
    out["status"] = {"observedGeneration": 1}
    return out


def test_normalise_drops_server_fields_only() -> None:
    n = normalise(served(WRITTEN))
    assert "status" not in n
    assert set(n["metadata"]) == {"name", "namespace"}
    assert n["spec"]["hosts"] == ["reviews"]


def test_new_object_is_shown_whole_as_written() -> None:
    d = diff_object(None, served(WRITTEN), WRITTEN)
    assert d.change == "create" and d.ref == "VirtualService bookinfo/reviews"
    text = [line.text for line in d.lines]
    assert all(line.sign == "+" for line in d.lines)
    assert "        subset: v1" in text
    assert not any("exportTo" in t or "resourceVersion" in t for t in text)


def test_changed_subset_shows_one_minus_one_plus_and_hides_defaults() -> None:
    changed = copy.deepcopy(WRITTEN)
    changed["spec"]["http"][0]["route"][0]["destination"]["subset"] = "v3"
    d = diff_object(served(WRITTEN, "7"), served(changed, "8"), changed)
    assert d.change == "update"
    minus = [line.text for line in d.lines if line.sign == "-"]
    plus = [line.text for line in d.lines if line.sign == "+"]
    assert minus == ["        subset: v1"] and plus == ["        subset: v3"]
    assert not any("exportTo" in line.text for line in d.lines)


def test_same_object_is_unchanged() -> None:
    assert diff_object(served(WRITTEN, "7"), served(WRITTEN, "9"), WRITTEN).change == "unchanged"


def test_server_side_change_outside_the_manifest_stays_visible() -> None:
    live = served(WRITTEN)
    after = served(WRITTEN)
    after["spec"]["exportTo"] = ["."]
    d = diff_object(live, after, WRITTEN)
    assert d.change == "update"
    assert any(line.sign == "+" and "- ." in line.text for line in d.lines)


def test_deleted_object_is_shown_as_removed() -> None:
    d = diff_object(served(WRITTEN), None)
    assert d.change == "delete"
    assert all(line.sign == "-" for line in d.lines)
    assert "kind: VirtualService" in [line.text for line in d.lines]


def test_nothing_to_compare_is_an_error() -> None:
    with pytest.raises(ValueError):
        diff_object(None, None)
