"""Sections 0–6 and the Bookinfo manifests hold together beyond what the loader checks.

The loader checks each file's shape; these tests check that the files agree with each
other: routes name subsets that exist and select pods that exist, Services reach their
pods, and every step that sends traffic starts from the steps that make it possible.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from istiotui.lab.loader import load_lab
from istiotui.lab.model import Lab, Step

ROOT = Path(__file__).resolve().parents[2]
BOOKINFO = ROOT / "scenarios" / "manifests" / "samples" / "bookinfo"
NETWORKING = BOOKINFO / "networking"

# Later code and part B's sections refer to these ids: they must stay put.
PART_A_STEPS = {
    "vms": ["vms-clone", "vms-up", "vms-status", "vms-connect"],
    "install-istio": [
        "istio-download",
        "istio-precheck",
        "istio-install-minimal",
        "istio-ingress-gateway",
        "istio-egress-gateway",
        "istio-ingress-clusterip",
    ],
    "sidecar-injection": ["injection-enable", "injection-check"],
    "bookinfo": [
        "bookinfo-deploy",
        "bookinfo-pods-ready",
        "bookinfo-productpage",
        "bookinfo-coredns-restart",
    ],
    "observability": [
        "observability-addons-local",
        "observability-addons",
        "observability-kiali",
        "observability-traffic",
        "observability-graph",
    ],
    "request-routing": [
        "routing-gateway",
        "routing-round-robin",
        "routing-destination-rules",
        "routing-all-v1",
        "routing-jason-v2",
    ],
    "fault-injection": ["fault-delay-jason", "fault-abort-jason", "fault-cleanup"],
}


def _docs(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def _bookinfo() -> list[dict[str, Any]]:
    return _docs(BOOKINFO / "platform" / "kube" / "bookinfo.yaml")


def _of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def _subsets() -> dict[str, dict[str, dict[str, str]]]:
    """host → subset name → labels, from destination-rule-all.yaml."""
    return {
        dr["spec"]["host"]: {s["name"]: s["labels"] for s in dr["spec"]["subsets"]}
        for dr in _docs(NETWORKING / "destination-rule-all.yaml")
    }


def _destinations(vs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for rule in vs["spec"].get("http", []):
        for route in rule["route"]:
            yield route["destination"]


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def _pod_labels() -> list[dict[str, str]]:
    return [
        d["spec"]["template"]["metadata"]["labels"] for d in _of_kind(_bookinfo(), "Deployment")
    ]


@pytest.fixture(scope="module")
def lab() -> Lab:
    return load_lab()


# --- manifests -----------------------------------------------------------------


@pytest.mark.parametrize(
    "manifest",
    sorted(p.name for p in NETWORKING.glob("virtual-service-*.yaml")),
)
def test_every_routed_subset_is_declared_and_has_pods(manifest: str) -> None:
    subsets = _subsets()
    pods = _pod_labels()
    for vs in _docs(NETWORKING / manifest):
        for dest in _destinations(vs):
            host, subset = dest["host"], dest.get("subset")
            if subset is None:
                continue
            assert subset in subsets.get(host, {}), f"{manifest}: {host} has no subset {subset}"
            labels = {"app": host, **subsets[host][subset]}
            assert any(_selects(labels, pod) for pod in pods), (
                f"{manifest}: subset {host}/{subset} selects no Bookinfo pod"
            )


@pytest.mark.parametrize(
    "manifest",
    sorted(p.name for p in NETWORKING.glob("virtual-service-*.yaml")),
)
def test_weights_of_a_split_add_up_to_100(manifest: str) -> None:
    for vs in _docs(NETWORKING / manifest):
        for rule in vs["spec"]["http"]:
            weights = [r.get("weight") for r in rule["route"]]
            if len(weights) > 1:
                assert sum(weights) == 100, f"{manifest}: weights {weights}"


def test_every_service_reaches_pods_on_its_port() -> None:
    docs = _bookinfo()
    deployments = _of_kind(docs, "Deployment")
    accounts = {a["metadata"]["name"] for a in _of_kind(docs, "ServiceAccount")}
    for svc in _of_kind(docs, "Service"):
        [port] = svc["spec"]["ports"]
        assert (port["name"], port["port"]) == ("http", 9080)
        backing = [
            d
            for d in deployments
            if _selects(svc["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
        ]
        assert backing, f"Service {svc['metadata']['name']} selects no pods"
        for dep in backing:
            [container] = dep["spec"]["template"]["spec"]["containers"]
            assert {"containerPort": 9080} in container["ports"]
            assert dep["spec"]["template"]["spec"]["serviceAccountName"] in accounts


def test_deployment_selectors_match_their_pods() -> None:
    for dep in _of_kind(_bookinfo(), "Deployment"):
        template = dep["spec"]["template"]["metadata"]["labels"]
        assert _selects(dep["spec"]["selector"]["matchLabels"], template)
        assert dep["metadata"]["name"] == f"{template['app']}-{template['version']}"


def test_the_gateway_route_reaches_productpage() -> None:
    gateway, vs = _docs(NETWORKING / "bookinfo-gateway.yaml")
    assert vs["spec"]["gateways"] == [gateway["metadata"]["name"]]
    services = {s["metadata"]["name"]: s for s in _of_kind(_bookinfo(), "Service")}
    for dest in _destinations(vs):
        ports = [p["port"] for p in services[dest["host"]]["spec"]["ports"]]
        assert dest["port"]["number"] in ports


# --- the lab's steps -------------------------------------------------------------


def _closure(lab: Lab, step: Step) -> set[str]:
    """The step's id and every step it requires, directly or not."""
    seen: set[str] = set()
    todo = [step.id]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(lab.step(current).requires)
    return seen


def test_part_a_step_ids_are_stable(lab: Lab) -> None:
    sections = {s.id: [step.id for step in s.steps] for s in lab.sections}
    for section, steps in PART_A_STEPS.items():
        assert sections[section] == steps


def test_steps_probing_through_the_ingress_start_from_the_bookinfo_gateway(lab: Lab) -> None:
    for step in lab.steps():
        if step.section not in PART_A_STEPS or step.id == "routing-gateway":
            continue
        if any(p.vantage == "ingress" for p in step.probes):
            assert "routing-gateway" in _closure(lab, step), step.id


def test_jason_probes_start_from_the_jason_rule(lab: Lab) -> None:
    # Only fault-cleanup may log in as jason without the jason rule: it shows it is gone.
    for step in lab.steps():
        if step.section not in PART_A_STEPS or step.id == "fault-cleanup":
            continue
        if any(p.user == "jason" for p in step.probes):
            assert "routing-jason-v2" in _closure(lab, step), step.id
