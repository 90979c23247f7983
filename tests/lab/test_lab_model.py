"""The good fixture lab loads into the model the later layers use."""

from __future__ import annotations

from pathlib import Path

import pytest

from istiotui.lab.loader import load_lab
from istiotui.lab.model import (
    AllOf,
    Apply,
    BodyHas,
    BodyLacks,
    DeleteManifest,
    DeleteObject,
    HeaderShare,
    Host,
    Istioctl,
    Lab,
    Label,
    LatencyWithin,
    LogLines,
    Manual,
    Only,
    Patch,
    RolloutRestart,
    Shares,
    StatusIs,
    StatusShare,
    Wait,
)

GOOD = Path(__file__).parent / "fixtures" / "good"


@pytest.fixture(scope="module")
def lab() -> Lab:
    return load_lab(GOOD / "scenarios")


def test_outline_in_order(lab: Lab) -> None:
    assert lab.id == "demo-lab"
    assert [(s.number, s.id) for s in lab.sections] == [(1, "basics"), (2, "routing")]
    assert [s.id for s in lab.steps()] == ["deploy-demo", "route-v1"]
    assert lab.title.get("es") == "Laboratorio de prueba"
    assert lab.objectives.get("en") == ("Load", "Show")
    assert lab.section_of("route-v1").id == "routing"
    assert lab.sections[1].intro is None


def test_step_sources_point_at_the_yaml(lab: Lab) -> None:
    step = lab.step("route-v1")
    assert str(step.source) == "scenarios/02-routing.yaml:5"
    assert step.requires == ("deploy-demo",)
    assert step.namespace == "demo"
    assert lab.step("deploy-demo").where == "any"  # the default


def test_manifest_objects_resolved_with_namespaces(lab: Lab) -> None:
    step = lab.step("deploy-demo")
    label, apply_app, apply_istio, wait = step.actions
    assert isinstance(apply_app, Apply)
    objects = apply_app.manifest.objects
    # The step's namespace fills in; an object's own namespace wins; Namespaces have none.
    assert [str(o) for o in objects] == [
        "Service/demo -n demo",
        "Deployment/demo -n other",
        "Namespace/demo",
    ]
    assert apply_app.manifest.bodies[0]["spec"]["ports"] == [{"port": 8000, "name": "http"}]
    assert str(objects[1].source) == "scenarios/manifests/samples/demo/app.yaml:8"
    assert apply_app.manifest.file == GOOD / "scenarios/manifests/samples/demo/app.yaml"
    assert isinstance(apply_istio, Apply)
    assert apply_istio.manifest.file == GOOD / "istio-manifests/ingress.yaml"
    assert str(apply_istio.manifest.objects[0]) == "IstioOperator/ingress -n istio-system"
    assert isinstance(label, Label)
    assert label.target.namespace is None
    assert label.labels == {"istio-injection": "enabled", "old": None}
    assert isinstance(wait, Wait)
    assert (wait.namespace, wait.selector, wait.until, wait.timeout) == (
        "demo",
        "app=demo",
        "ready",
        60.0,
    )
    (cleanup,) = step.cleanup
    assert isinstance(cleanup, DeleteManifest) and cleanup.ignore_not_found


def test_every_action_kind(lab: Lab) -> None:
    step = lab.step("route-v1")
    apply, patch, restart, istioctl, host, manual = step.actions
    assert isinstance(apply, Apply) and apply.namespace == "demo"
    assert isinstance(patch, Patch)
    assert patch.target.namespace == "istio-system"
    assert patch.patch == {"spec": {"type": "ClusterIP"}}
    assert isinstance(restart, RolloutRestart) and restart.target.namespace == "demo"
    assert isinstance(istioctl, Istioctl)
    assert istioctl.args == ("install", "-f", "ingress.yaml")
    (local,) = istioctl.local
    assert isinstance(local, Apply) and local.manifest.objects[0].kind == "IstioOperator"
    assert isinstance(host, Host) and host.command == "vagrant up"
    assert isinstance(manual, Manual) and manual.text.get("en") == "Open the browser."
    (delete,) = step.cleanup
    assert isinstance(delete, DeleteObject)
    assert (delete.target.kind, delete.target.name, delete.target.namespace) == (
        "VirtualService",
        "demo",
        "demo",
    )


def test_probes_with_defaults(lab: Lab) -> None:
    step = lab.step("route-v1")
    pages = step.probe("pages")
    assert (pages.count, pages.concurrency, pages.qps, pages.timeout) == (30, 2, 0.0, 15.0)
    assert pages.keepalive and pages.user == "jason" and pages.headers == {"x-a": "b"}
    calls = step.probe("pod-calls")
    assert (calls.count, calls.concurrency, calls.method, calls.keepalive) == (1, 1, "GET", False)
    assert calls.classify_header == "x-version"
    assert calls.pod is not None and calls.pod.container == "curl"
    assert calls.logs is not None and calls.logs.namespace == "demo"
    forwarded = step.probe("forwarded")
    assert forwarded.service is not None and forwarded.service.namespace == "demo"
    assert forwarded.classify_header is None


def test_every_expectation_kind(lab: Lab) -> None:
    kinds = [type(e) for e in lab.step("route-v1").expect]
    assert kinds == [
        Only,
        AllOf,
        Shares,
        StatusIs,
        StatusShare,
        LatencyWithin,
        BodyHas,
        BodyLacks,
        LogLines,
        HeaderShare,
    ]
    only, _all, shares, _status, share, latency, *_rest, logs, header = lab.step("route-v1").expect
    assert only.why is not None and only.why.get("es") == "Todo va a v1."
    assert shares.shares == {"v1": 0.5, "v3": 0.5} and shares.confidence == 0.99
    assert (share.code, share.min, share.max) == (503, 0.2, 1.0)
    assert (latency.percentile, latency.min, latency.max) == (50.0, 5.5, 7.5)
    assert (logs.min, logs.max) == (1, None)
    assert (header.name, header.value, header.min_share, header.max_share) == (
        "x-envoy-overloaded",
        "true",
        0.1,
        1.0,
    )


def test_model_is_frozen_and_steps_can_key_a_dict(lab: Lab) -> None:
    with pytest.raises(AttributeError):
        lab.step("route-v1").id = "other"  # type: ignore[misc]
    state = {step: "pending" for step in lab.steps()}
    assert state[lab.step("route-v1")] == "pending"
    assert load_lab(GOOD / "scenarios").step("route-v1") == lab.step("route-v1")
    assert len({*lab.sections, lab}) == 3


def test_model_values_compare_hash_and_show_as_frozen_dataclasses(lab: Lab) -> None:
    """Equality, hash and repr are `values.Value`'s, not compiled per class: they
    mean what `dataclass(frozen=True)` makes them mean."""
    from dataclasses import FrozenInstanceError, dataclass

    from istiotui.lab.model import ObjectRef, Source, Text

    @dataclass(frozen=True)
    class Twin:  # what dataclass writes for ObjectRef
        kind: str
        name: str
        namespace: str | None

    ref, twin = ObjectRef("Service", "reviews", None), Twin("Service", "reviews", None)
    assert repr(ref) == "ObjectRef(kind='Service', name='reviews', namespace=None)"
    assert repr(ref).split("(", 1)[1] == repr(twin).split("(", 1)[1]
    assert hash(ref) == hash(twin) and ref == ObjectRef("Service", "reviews", None)
    assert ref != ObjectRef("Service", "ratings", None) and ref != twin  # another class: never
    assert Source("a.yaml", 1) != Text("a.yaml", "1") and Source("a", 1) == Source("a", 1)
    with pytest.raises(FrozenInstanceError):
        ref.name = "ratings"  # type: ignore[misc]
    # Fields left out of comparison and repr stay out (the lab's index of steps).
    assert "_by_id" not in repr(lab) and lab == load_lab(GOOD / "scenarios")
    with pytest.raises(TypeError):  # a dict among the compared fields: not hashable, as before
        hash(Shares("p", {"v1": 1.0}, 0.95, None, Source("a", 1)))
