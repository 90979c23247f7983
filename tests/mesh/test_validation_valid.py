"""Realistic manifests (Istio's samples and the lab's own) pass validation untouched."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from istiotui.mesh.validation import prune_unknown, validate

HERE = Path(__file__).resolve().parent

ALL = [
    pytest.param(doc, id=f"{path.name}:{doc['kind']}/{doc['metadata']['name']}")
    for path in sorted((HERE / "validation_manifests").glob("*.yaml"))
    for doc in yaml.safe_load_all(path.read_text())
    if doc
]


@pytest.mark.parametrize("doc", ALL)
def test_realistic_manifest_is_valid(doc: dict) -> None:
    result = validate(doc)
    assert result.errors == []
    assert result.unknown_fields == []
    assert prune_unknown(doc) == doc


REPO = HERE.parents[1]


def _repo_manifests() -> list:
    files = sorted(REPO.glob("scenarios/manifests/**/*.yaml")) + sorted(
        REPO.glob("istio-manifests/*.yaml")
    )
    return [
        pytest.param(doc, id=f"{path.relative_to(REPO)}:{doc.get('kind')}/{i}")
        for path in files
        for i, doc in enumerate(yaml.safe_load_all(path.read_text()))
        if isinstance(doc, dict)
    ]


def test_the_labs_manifests_are_found() -> None:
    assert len(_repo_manifests()) > 50


@pytest.mark.parametrize("doc", _repo_manifests())
def test_the_labs_own_manifests_are_valid(doc: dict) -> None:
    result = validate(doc)
    assert (result.errors, result.unknown_fields) == ([], [])


JUNK: list[Any] = [None, 0, -1, 99999999999, 1.5, "", "x", True, [], [None], {}, {"": None}]


def _paths(node: Any, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*path, i))


def _replace(obj: dict, path: tuple, value: Any) -> dict:
    out = copy.deepcopy(obj)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


@pytest.mark.parametrize("doc", ALL)
def test_junk_anywhere_never_raises(doc: dict) -> None:
    """The API server must answer 422 or 400 to junk at any path, never fail with a 500."""
    for path in _paths(doc):
        if not path or path[0] in ("apiVersion", "kind"):
            continue
        for junk in JUNK:
            broken = _replace(doc, path, junk)
            result = validate(broken)
            assert isinstance(result.errors, list)
            prune_unknown(broken)
