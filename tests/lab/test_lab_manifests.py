"""Manifest files: every document a named object, namespaces as kubectl would give them."""

from __future__ import annotations

from pathlib import Path

import pytest

from istiotui.lab.errors import LoaderError
from istiotui.lab.loader import load_lab
from istiotui.lab.manifests import load_manifest, read_objects, resolve
from istiotui.lab.paths import istio_manifests_dir, scenarios_dir

TWO = """\
apiVersion: v1
kind: Service
metadata:
  name: a
---
# a comment-only document in between is fine
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
  namespace: kept
"""


def test_objects_lines_and_namespaces(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(TWO)
    objects = load_manifest(path, namespace="bookinfo", display="two.yaml")
    assert [(str(o), o.source.line) for o in objects] == [
        ("Service/a -n bookinfo", 1),
        ("ClusterRole/reader", 8),
        ("ConfigMap/b -n kept", 13),
    ]
    # Resolving copies: the objects as read stay as written.
    raw, problems = read_objects(path)
    assert problems == [] and "namespace" not in raw[0].body["metadata"]
    forced, problems = resolve(raw, "default", "kept")
    assert problems == [] and forced[0].namespace == "kept"
    _, problems = resolve(raw, "default", "other")
    assert [(p.line, "namespace 'kept'" in p.message) for p in problems] == [(13, True)]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("kind: Service\nmetadata:\n  name: a\n", 1, "no apiVersion"),
        ("apiVersion: v1\nkind: Service\nmetadata:\n  labels: {}\n", 3, "no metadata.name"),
        ("apiVersion: v1\nkind: Service\n", 1, "no metadata.name"),
        ("apiVersion: v1\nkind: 5\nmetadata: {name: a}\n", 2, "kind must be a non-empty string"),
        ("- a\n- b\n", 1, "must be a Kubernetes object"),
        ("apiVersion: v1\nkind: [\n", 3, "invalid YAML"),
        ("# nothing\n", 1, "no objects"),
    ],
)
def test_bad_manifest(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(LoaderError) as caught:
        load_manifest(path, display="bad.yaml")
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("bad.yaml", line)
    assert words in problem.message


def test_broken_manifest_named_by_a_step_reported_at_its_own_line(good_copy: Path) -> None:
    manifest = good_copy / "manifests/samples/demo/route.yaml"
    manifest.write_text(manifest.read_text().replace("kind: VirtualService", "kind:"))
    with pytest.raises(LoaderError) as caught:
        load_lab(good_copy)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("scenarios/manifests/samples/demo/route.yaml", 2)
    assert "kind must be a non-empty string" in problem.message


def test_paths_follow_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "i").mkdir()
    monkeypatch.setenv("ISTIOTUI_SCENARIOS", str(tmp_path / "s"))
    monkeypatch.setenv("ISTIOTUI_ISTIO_MANIFESTS", str(tmp_path / "i"))
    assert scenarios_dir() == tmp_path / "s"
    assert istio_manifests_dir(tmp_path / "s") == tmp_path / "i"


def test_istio_manifests_next_to_the_scenarios(
    good_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ISTIOTUI_ISTIO_MANIFESTS", raising=False)
    assert istio_manifests_dir(good_copy) == good_copy.parent / "istio-manifests"
