"""The step plan the executor and the app's diff share: bodies, references, flattened actions."""

from __future__ import annotations

from pathlib import Path

import pytest

from istiotui.cluster.kind import ClusterKind
from istiotui.lab import model as m
from istiotui.lab.plan import StepFailed, bodies, flat_actions, ref_body

AT = m.Source("steps.yaml", 7)


def manifest(*objs: dict) -> m.Manifest:
    return m.Manifest("m.yaml", Path("m.yaml"), tuple(m.ManifestObject(o, AT) for o in objs))


def test_bodies_take_the_namespace_only_where_kubectl_would() -> None:
    vs = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "r"},
    }
    pinned = {**vs, "metadata": {"name": "p", "namespace": "other"}}
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}
    out = bodies(manifest(vs, pinned, ns), "bookinfo")
    assert [b["metadata"].get("namespace") for b in out] == ["bookinfo", "other", None]
    assert "namespace" not in vs["metadata"]  # the lab's own objects stay as loaded


def test_ref_body_drops_the_namespace_of_cluster_scoped_kinds_and_refuses_unknown_ones() -> None:
    assert ref_body(m.ObjectRef("Namespace", "bookinfo", "x"))["metadata"] == {"name": "bookinfo"}
    dep = ref_body(m.ObjectRef("Deployment", "reviews-v1", "bookinfo"))
    assert (dep["apiVersion"], dep["metadata"]["namespace"]) == ("apps/v1", "bookinfo")
    with pytest.raises(StepFailed, match="unknown kind 'Nope'"):
        ref_body(m.ObjectRef("Nope", "x", None))


def test_istioctl_stands_for_its_local_actions_only_on_the_local_cluster() -> None:
    wait = m.Wait("Pod", "istio-system", "app=istiod", None, "ready", 60.0, AT)
    istioctl = m.Istioctl(("install", "-y"), (wait,), AT)
    host = m.Host("echo hi", AT)
    assert flat_actions([istioctl, host], ClusterKind.LOCAL) == [wait, host]
    assert flat_actions([istioctl, host], ClusterKind.REAL) == [istioctl, host]
