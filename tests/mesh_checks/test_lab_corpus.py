"""The mesh checks over the real lab: every step's end state is clean, broken variants are caught.

The lab is walked the way a learner would carry it out, without a cluster: applied manifests join
the state, deletions leave it, labels land on namespaces, and the lab's IstioOperator files become
the gateway objects an install creates. Deployments stand for their pods, with sidecars where the
namespace was labelled for injection when they were created.
"""

from __future__ import annotations

import copy

import pytest

from istiotui.lab import model as m
from istiotui.lab.loader import load_lab
from istiotui.local.pilot.operator import gateway_objects
from istiotui.mesh.analysis import Finding, Severity, analyze


def key(obj: dict) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return (obj["kind"], meta.get("namespace") or "default", meta["name"])


class World:
    """What a cluster would hold after some of the lab's actions."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], dict] = {}
        for name in ("default", "istio-system", "kube-system"):
            self._namespace(name)

    def _namespace(self, name: str) -> dict:
        k = ("Namespace", "default", name)
        if k not in self.objects:
            self.objects[k] = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        return self.objects[k]

    def _injected(self, namespace: str) -> bool:
        labels = self._namespace(namespace)["metadata"].get("labels") or {}
        return labels.get("istio-injection") == "enabled"

    def add(self, body: dict, namespace: str | None) -> None:
        obj = copy.deepcopy(body)
        meta = obj.setdefault("metadata", {})
        if obj["kind"] != "Namespace":
            meta.setdefault("namespace", namespace or "default")
        if obj["kind"] == "IstioOperator":
            for made in gateway_objects(obj):
                self.add(made, made["metadata"].get("namespace"))
        if obj["kind"] == "Deployment":
            self._pod_for(obj)
        if obj["kind"] == "Namespace":
            old = self.objects.get(key(obj))
            if old is not None and "labels" not in meta:
                meta["labels"] = old["metadata"].get("labels", {})
        self.objects[key(obj)] = obj

    def _pod_for(self, dep: dict) -> None:
        ns = dep["metadata"]["namespace"]
        template = dep["spec"]["template"]
        containers = list(template["spec"]["containers"])
        gateway = "istio" in (template["metadata"].get("labels") or {})
        if self._injected(ns) or gateway:
            containers.append({"name": "istio-proxy", "image": "proxyv2"})
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": dep["metadata"]["name"] + "-0",
                "namespace": ns,
                "labels": template["metadata"].get("labels") or {},
            },
            "spec": {"containers": containers},
        }
        self.objects[key(pod)] = pod

    def remove(self, body: dict, namespace: str | None) -> None:
        meta = body.get("metadata") or {}
        k = (body["kind"], meta.get("namespace") or namespace or "default", meta["name"])
        if body["kind"] == "Namespace":
            k = ("Namespace", "default", meta["name"])
        self.objects.pop(k, None)
        if body["kind"] == "Deployment":
            self.objects.pop(("Pod", k[1], meta["name"] + "-0"), None)

    def run(self, actions: tuple[m.Action, ...]) -> None:
        for action in actions:
            match action:
                case (
                    m.Apply(manifest=manifest, namespace=ns)
                    | m.Create(manifest=manifest, namespace=ns)
                ):
                    for body in manifest.bodies:
                        self.add(body, ns)
                case m.DeleteManifest(manifest=manifest, namespace=ns):
                    for body in manifest.bodies:
                        self.remove(body, ns)
                case m.DeleteObject(target=t):
                    self.remove({"kind": t.kind, "metadata": {"name": t.name}}, t.namespace)
                case m.Label(target=t, labels=labels) if t.kind == "Namespace":
                    ns = self._namespace(t.name)
                    current = ns["metadata"].setdefault("labels", {})
                    for k, v in labels.items():
                        if v is None:
                            current.pop(k, None)
                        else:
                            current[k] = v
                case m.Istioctl(local=local):
                    self.run(local)
                case _:
                    pass


LAB = load_lab()


def walk() -> list[tuple[str, list[Finding]]]:
    world = World()
    out = []
    for step in LAB.steps():
        if step.where == "real" and not any(isinstance(a, m.Istioctl) for a in step.actions):
            continue
        world.run(step.actions)  # cleanups undo a step on request; the forward path skips them
        out.append((step.id, analyze(world.objects.values())))
    return out


@pytest.mark.parametrize(
    ("step_id", "findings"), walk(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_step_end_state_is_clean(step_id: str, findings: list[Finding]) -> None:
    serious = [
        f"{f.code} {f.where()}: {f.message()}" for f in findings if f.severity > Severity.INFO
    ]
    assert serious == []


def manifest_objects(path_fragment: str) -> list[dict]:
    for step in LAB.steps():
        nested = [a for x in step.actions if isinstance(x, m.Istioctl) for a in x.local]
        for action in [*step.actions, *nested]:
            manifest = getattr(action, "manifest", None)
            if manifest is not None and manifest.path.endswith(path_fragment):
                return [copy.deepcopy(b) for b in manifest.bodies]
    raise LookupError(path_fragment)


def bookinfo_world(*manifests: str) -> list[dict]:
    world = World()
    world.add(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "bookinfo", "labels": {"istio-injection": "enabled"}},
        },
        None,
    )
    for body in manifest_objects("platform/kube/bookinfo.yaml"):
        world.add(body, "bookinfo")
    for name in manifests:
        for body in manifest_objects(name):
            world.add(body, "bookinfo")
    return list(world.objects.values())


def codes(objects: list[dict]) -> set[str]:
    return {f.code for f in analyze(objects)}


def test_all_v1_before_the_destination_rules() -> None:
    assert "IT0101" in codes(bookinfo_world("virtual-service-all-v1.yaml"))
    fixed = bookinfo_world("destination-rule-all.yaml", "virtual-service-all-v1.yaml")
    assert "IT0101" not in codes(fixed)


def test_a_typo_in_a_subset() -> None:
    objects = bookinfo_world("destination-rule-all.yaml", "virtual-service-reviews-50-v3.yaml")
    for obj in objects:
        if obj["kind"] == "VirtualService" and obj["metadata"]["name"] == "reviews":
            obj["spec"]["http"][0]["route"][1]["destination"]["subset"] = "v33"
    found = [f for f in analyze(objects) if f.code == "IT0101"]
    assert [f.field for f in found] == ["spec.http[0].route[1].destination.subset"]


def test_httpbin_gateway_with_the_wrong_host() -> None:
    world = World()
    world.add(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "default", "labels": {"istio-injection": "enabled"}},
        },
        None,
    )
    for body in manifest_objects("istio-manifests/ingress.yaml"):
        world.add(body, None)
    for name in (
        "samples/httpbin/httpbin.yaml",
        "10-httpbin-gateway.yaml",
        "10-httpbin-virtual-service.yaml",
    ):
        for body in manifest_objects(name):
            world.add(body, "default")
    objects = list(world.objects.values())
    assert codes(objects) == set()
    for obj in objects:
        if obj["kind"] == "Gateway":
            obj["spec"]["servers"][0]["hosts"] = ["httpbin.example.org"]
    assert "IT0106" in codes(objects)


def test_gateway_without_the_ingress_install() -> None:
    world = World()
    for name in ("samples/httpbin/httpbin.yaml", "10-httpbin-gateway.yaml"):
        for body in manifest_objects(name):
            world.add(body, "default")
    assert "IT0104" in codes(list(world.objects.values()))
