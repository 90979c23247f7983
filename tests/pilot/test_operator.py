"""The gateway objects an IstioOperator stands for."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from istiotui.local.pilot import PilotError, gateway_objects

from .mesh_fixtures import load


def by_kind(objs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["kind"]: o for o in objs}


def test_ingress_gateway_objects() -> None:
    ingress, _ = load("operators.yaml")
    objs = by_kind(gateway_objects(ingress))
    assert set(objs) == {"ServiceAccount", "Deployment", "Service"}
    svc = objs["Service"]
    assert svc["metadata"]["name"] == "istio-ingressgateway"
    assert svc["metadata"]["namespace"] == "istio-system"
    assert svc["spec"]["type"] == "LoadBalancer"
    assert [(p["name"], p["port"], p["targetPort"]) for p in svc["spec"]["ports"]] == [
        ("status-port", 15021, 15021),
        ("http2", 80, 8080),
        ("https", 443, 8443),
    ]
    assert svc["spec"]["selector"] == {"app": "istio-ingressgateway", "istio": "ingressgateway"}
    dep = objs["Deployment"]
    template = dep["spec"]["template"]
    assert template["metadata"]["labels"]["istio"] == "ingressgateway"
    (container,) = template["spec"]["containers"]
    assert container["name"] == "istio-proxy"
    assert container["image"] == "docker.io/istio/proxyv2:1.24.0"
    assert "router" in container["args"]
    assert template["spec"]["serviceAccountName"] == objs["ServiceAccount"]["metadata"]["name"]


def test_egress_gateway_is_cluster_ip_without_status_port() -> None:
    _, egress = load("operators.yaml")
    svc = by_kind(gateway_objects(egress))["Service"]
    assert svc["metadata"]["name"] == "istio-egressgateway"
    assert svc["spec"]["type"] == "ClusterIP"
    assert [(p["port"], p["targetPort"]) for p in svc["spec"]["ports"]] == [(80, 8080), (443, 8443)]
    assert svc["spec"]["selector"]["istio"] == "egressgateway"


def test_service_overrides_and_disabled_components() -> None:
    ingress, _ = load("operators.yaml")
    iop = copy.deepcopy(ingress)
    comp = iop["spec"]["components"]["ingressGateways"][0]
    comp["k8s"] = {
        "service": {
            "type": "ClusterIP",
            "ports": [{"name": "http2", "port": 80, "targetPort": 8080}],
        }
    }
    svc = by_kind(gateway_objects(iop))["Service"]
    assert svc["spec"]["type"] == "ClusterIP"
    assert len(svc["spec"]["ports"]) == 1
    comp["enabled"] = False
    assert gateway_objects(iop) == []


def test_bad_operator_names_the_field() -> None:
    with pytest.raises(PilotError, match="expected kind IstioOperator"):
        gateway_objects({"kind": "Deployment"})
    bad = {"kind": "IstioOperator", "metadata": {"name": "x"},
           "spec": {"components": {"egressGateways": [{"enabled": True}]}}}  # fmt: skip
    with pytest.raises(
        PilotError, match=r"IstioOperator x: spec.components.egressGateways\[0\].name"
    ):
        gateway_objects(bad)
