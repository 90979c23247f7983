"""What `istioctl install -f <IstioOperator>` creates, as plain objects.

Gateways (the lab's files use `profile: empty` with one gateway each) and, for a profile that
has one (`minimal`, `default`, `demo`…), the control plane: istiod's ServiceAccount, Deployment
and Service, as istioctl names and labels them. The controller creates the returned objects like
any other; istiod's pod runs no process here (the local pilot, inside the local cluster, is
istiod), the gateways' pods none either (their listeners live in the one Envoy).
"""

from __future__ import annotations

import copy
from typing import Any

from istiotui.local.istio_release import HUB, ISTIO_VERSION, PROXY_IMAGE
from istiotui.local.pilot.model import PilotError
from istiotui.mesh.release import CONTROL_PLANE_PROFILES

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


def control_plane_objects(iop: dict[str, Any]) -> list[dict[str, Any]]:
    """istiod's ServiceAccount, Deployment and Service, when the install's profile has istiod."""
    if iop.get("kind") != "IstioOperator":
        raise PilotError(f"expected kind IstioOperator, got {iop.get('kind')!r}")
    spec = iop.get("spec") or {}
    owner = (iop.get("metadata") or {}).get("name", "") or "unknown"
    pilot = ((spec.get("components") or {}).get("pilot")) or {}
    enabled = pilot.get("enabled") if isinstance(pilot, dict) else None
    profile = str(spec.get("profile") or "default")  # istioctl's own default
    if enabled is False or (enabled is None and profile not in CONTROL_PLANE_PROFILES):
        return []
    ns = str(spec.get("namespace") or "istio-system")
    hub = str(spec.get("hub") or HUB)
    tag = str(spec.get("tag") or ISTIO_VERSION)
    labels = {"app": "istiod", "istio": "pilot", "istio.io/rev": "default"}
    meta_labels = {
        **labels,
        "install.operator.istio.io/owning-resource": owner,
        "operator.istio.io/component": "Pilot",
        "release": "istio",
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "istiod", "namespace": ns, "labels": meta_labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"istio": "pilot"}},
            "template": {
                "metadata": {
                    "labels": {**labels, "sidecar.istio.io/inject": "false"},
                    "annotations": {"sidecar.istio.io/inject": "false"},
                },
                "spec": {
                    "serviceAccountName": "istiod",
                    "containers": [
                        {
                            "name": "discovery",
                            "image": f"{hub}/pilot:{tag}",
                            "args": [
                                "discovery",
                                "--monitoringAddr=:15014",
                                "--log_output_level=default:info",
                                "--domain",
                                "cluster.local",
                                "--keepaliveMaxServerConnectionAge",
                                "30m",
                            ],
                            "ports": [
                                {"containerPort": 8080, "protocol": "TCP"},
                                {"containerPort": 15010, "protocol": "TCP"},
                                {"containerPort": 15017, "protocol": "TCP"},
                            ],
                            "readinessProbe": {
                                "httpGet": {"path": "/ready", "port": 8080},
                                "initialDelaySeconds": 1,
                                "periodSeconds": 3,
                                "timeoutSeconds": 5,
                            },
                            "resources": {"requests": {"cpu": "500m", "memory": "2048Mi"}},
                        }
                    ],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "istiod", "namespace": ns, "labels": meta_labels},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app": "istiod", "istio": "pilot"},
            "ports": [
                {"name": "grpc-xds", "port": 15010, "targetPort": 15010, "protocol": "TCP"},
                {"name": "https-dns", "port": 15012, "targetPort": 15012, "protocol": "TCP"},
                {"name": "https-webhook", "port": 443, "targetPort": 15017, "protocol": "TCP"},
                {"name": "http-monitoring", "port": 15014, "targetPort": 15014, "protocol": "TCP"},
            ],
        },
    }
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "istiod", "namespace": ns, "labels": meta_labels},
    }
    return [account, deployment, service]
