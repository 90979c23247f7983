"""What `istioctl install -f <IstioOperator>` creates for gateway components, as plain objects.

Only gateways are read (the lab's files use `profile: empty` with one gateway each); the
controller creates the returned Deployment, Service and ServiceAccount like any other object.
"""

from __future__ import annotations

import copy
from typing import Any

from istiotui.local.pilot.model import PilotError

PROXY_IMAGE = "docker.io/istio/proxyv2:1.24.0"
_KINDS = {
    "ingressGateways": {
        "app": "istio-ingressgateway",
        "istio": "ingressgateway",
        "type": "LoadBalancer",
        "component": "IngressGateways",
        "ports": [
            {"name": "status-port", "port": 15021, "targetPort": 15021, "protocol": "TCP"},
            {"name": "http2", "port": 80, "targetPort": 8080, "protocol": "TCP"},
            {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"},
        ],
    },
    "egressGateways": {
        "app": "istio-egressgateway",
        "istio": "egressgateway",
        "type": "ClusterIP",
        "component": "EgressGateways",
        "ports": [
            {"name": "http2", "port": 80, "targetPort": 8080, "protocol": "TCP"},
            {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"},
        ],
    },
}


def gateway_objects(iop: dict[str, Any]) -> list[dict[str, Any]]:
    """The ServiceAccount, Deployment and Service of each enabled gateway component."""
    if iop.get("kind") != "IstioOperator":
        raise PilotError(f"expected kind IstioOperator, got {iop.get('kind')!r}")
    name = (iop.get("metadata") or {}).get("name", "")
    where = f"IstioOperator {name}".strip()
    components = ((iop.get("spec") or {}).get("components")) or {}
    if not isinstance(components, dict):
        raise PilotError(f"{where}: spec.components must be a mapping")
    out: list[dict[str, Any]] = []
    for kind, defaults in _KINDS.items():
        entries = components.get(kind) or []
        if not isinstance(entries, list):
            raise PilotError(f"{where}: spec.components.{kind} must be a list")
        for i, comp in enumerate(entries):
            here = f"{where}: spec.components.{kind}[{i}]"
            if not isinstance(comp, dict) or not comp.get("name"):
                raise PilotError(f"{here}.name is required")
            if comp.get("enabled") is False:
                continue
            out += _gateway(comp, defaults, here, name)
    return out


def _gateway(
    comp: dict[str, Any], defaults: dict[str, Any], where: str, owner: str
) -> list[dict[str, Any]]:
    name = str(comp["name"])
    ns = str(comp.get("namespace") or "istio-system")
    label = comp.get("label") or {}
    if not isinstance(label, dict):
        raise PilotError(f"{where}.label must be a mapping")
    labels = {
        "app": defaults["app"],
        "istio": defaults["istio"],
        **{k: str(v) for k, v in label.items()},
    }
    meta_labels = {
        **labels,
        "install.operator.istio.io/owning-resource": owner or "unknown",
        "operator.istio.io/component": defaults["component"],
        "istio.io/rev": "default",
        "release": "istio",
    }
    k8s = comp.get("k8s") or {}
    svc_spec = copy.deepcopy(k8s.get("service") or {})
    ports = svc_spec.pop("ports", None) or copy.deepcopy(defaults["ports"])
    account = f"{name}-service-account"
    container_ports = [
        {"containerPort": int(p.get("targetPort") or p["port"]), "protocol": "TCP"} for p in ports
    ]
    container_ports.append({"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"})
    replicas = k8s.get("replicaCount", 1)
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": meta_labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {
                    "labels": {**labels, "sidecar.istio.io/inject": "false"},
                    "annotations": {"inject.istio.io/templates": "gateway"},
                },
                "spec": {
                    "serviceAccountName": account,
                    "containers": [
                        {
                            "name": "istio-proxy",
                            "image": PROXY_IMAGE,
                            "args": [
                                "proxy",
                                "router",
                                "--domain",
                                "$(POD_NAMESPACE).svc.cluster.local",
                                "--proxyLogLevel=warning",
                                "--proxyComponentLogLevel=misc:error",
                                "--log_output_level=default:info",
                            ],
                            "ports": container_ports,
                            "readinessProbe": {
                                "httpGet": {"path": "/healthz/ready", "port": 15021},
                            },
                        }
                    ],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns, "labels": meta_labels},
        "spec": {"type": defaults["type"], **svc_spec, "selector": labels, "ports": ports},
    }
    account_obj = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": account, "namespace": ns, "labels": meta_labels},
    }
    return [account_obj, deployment, service]
