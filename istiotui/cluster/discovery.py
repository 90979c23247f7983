"""What a cluster has: which Istio networking API versions it serves, whether Istio is installed
(and which release), which namespaces get sidecars, and the gateways with their Services.

The lab's manifests say `networking.istio.io/v1`; a cluster with an older Istio serves only
v1beta1 (or v1alpha3), with the same fields for everything the lab uses, so manifests are adapted
to what is served rather than refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubernetes import client

from istiotui.cluster.errors import API_ERRORS, ClusterError, describe
from istiotui.cluster.objects import Objects

ISTIO_GROUPS = ("networking.istio.io", "security.istio.io")
PREFERRED = ("v1", "v1beta1", "v1alpha3")
ISTIO_NAMESPACE = "istio-system"
_TAG = re.compile(r":([^:/@]+)(?:@sha256:[0-9a-f]+)?$")


@dataclass(frozen=True)
class IstioInstall:
    installed: bool
    version: str | None = None  # the release, from istiod's image tag
    namespace: str = ISTIO_NAMESPACE
    image: str | None = None


@dataclass(frozen=True)
class ServicePort:
    name: str
    port: int
    target_port: int | str
    node_port: int | None = None


@dataclass(frozen=True)
class Gateway:
    name: str  # the Service's name
    namespace: str
    role: str  # the `istio` label: ingressgateway, egressgateway, …
    type: str  # ClusterIP, NodePort, LoadBalancer
    ports: tuple[ServicePort, ...]
    external: tuple[str, ...] = ()  # load balancer addresses, when the cloud gave any


def served_versions(api_client: client.ApiClient, group: str = ISTIO_GROUPS[0]) -> list[str]:
    """The versions the API serves for `group`, preferred first; [] when the group is absent."""
    try:
        groups = client.ApisApi(api_client).get_api_versions().groups or []
    except API_ERRORS as exc:
        raise describe("API discovery (/apis)", exc) from None
    for g in groups:
        if g.name == group:
            return [v.version for v in g.versions or []]
    return []


def networking_version(api_client: client.ApiClient) -> str:
    """`v1` when served, else `v1beta1`, else `v1alpha3`; ClusterError when none is (no CRDs)."""
    served = served_versions(api_client)
    return choose_version(served)


def choose_version(served: list[str]) -> str:
    for version in PREFERRED:
        if version in served:
            return version
    raise ClusterError(
        "the cluster serves no networking.istio.io API "
        f"(served: {', '.join(served) or 'none'}): install Istio's CRDs first "
        "(istioctl install, or the lab's Istio step)"
    )


def adapt(manifest: dict, version: str) -> dict:
    """The manifest with its Istio networking apiVersion set to `version` (others unchanged)."""
    api_version = manifest.get("apiVersion", "")
    group, _, current = api_version.rpartition("/")
    if group != ISTIO_GROUPS[0] or current == version:
        return manifest
    return {**manifest, "apiVersion": f"{group}/{version}"}


def image_version(image: str) -> str | None:
    """`docker.io/istio/pilot:1.24.2` → `1.24.2`; None for an untagged image."""
    match = _TAG.search(image)
    return match.group(1) if match else None


def istio_install(objects: Objects, namespace: str = ISTIO_NAMESPACE) -> IstioInstall:
    """Istio is installed when istiod's Deployment exists; its release is its image's tag."""
    istiod = objects.get("apps/v1", "Deployment", "istiod", namespace)
    if istiod is None:
        found = objects.list("apps/v1", "Deployment", namespace, "app=istiod")
        istiod = found[0] if found else None
    if istiod is None:
        return IstioInstall(False, namespace=namespace)
    containers = istiod["spec"]["template"]["spec"].get("containers") or []
    discovery = next((c for c in containers if c.get("name") == "discovery"), None)
    image = (discovery or (containers[0] if containers else {})).get("image", "")
    labels = istiod["metadata"].get("labels") or {}
    version = image_version(image) or labels.get("operator.istio.io/version")
    return IstioInstall(True, version, namespace, image or None)


def injection(namespaces: list[dict]) -> dict[str, str]:
    """Namespace → `enabled`, `disabled`, `revision <rev>` or `off`, from its labels."""
    out = {}
    for ns in namespaces:
        labels = ns["metadata"].get("labels") or {}
        if labels.get("istio-injection") == "enabled":
            out[ns["metadata"]["name"]] = "enabled"
        elif labels.get("istio-injection") == "disabled":
            out[ns["metadata"]["name"]] = "disabled"
        elif labels.get("istio.io/rev"):
            out[ns["metadata"]["name"]] = f"revision {labels['istio.io/rev']}"
        else:
            out[ns["metadata"]["name"]] = "off"
    return out


def gateways(objects: Objects, namespace: str | None = ISTIO_NAMESPACE) -> list[Gateway]:
    """Istio's gateway Services (label `istio`), sorted by namespace and name."""
    found = []
    for svc in objects.list("v1", "Service", namespace, "istio"):
        spec, status = svc.get("spec") or {}, svc.get("status") or {}
        ports = tuple(
            ServicePort(
                p.get("name", ""), p["port"], p.get("targetPort", p["port"]), p.get("nodePort")
            )
            for p in spec.get("ports") or []
        )
        ingress = (status.get("loadBalancer") or {}).get("ingress") or []
        external = tuple(i.get("ip") or i.get("hostname", "") for i in ingress)
        meta = svc["metadata"]
        found.append(
            Gateway(
                meta["name"],
                meta["namespace"],
                meta["labels"]["istio"],
                spec.get("type", "ClusterIP"),
                ports,
                external,
            )
        )
    return sorted(found, key=lambda g: (g.namespace, g.name))


def cluster_ip_patch(service: dict) -> dict:
    """The JSON merge patch that turns a LoadBalancer (or NodePort) Service into ClusterIP:
    the type, and the fields only those types may carry (node ports, traffic policy) removed."""
    ports = [
        {k: v for k, v in p.items() if k != "nodePort"}
        for p in (service.get("spec") or {}).get("ports") or []
    ]
    return {
        "spec": {
            "type": "ClusterIP",
            "ports": ports,
            "externalTrafficPolicy": None,
            "allocateLoadBalancerNodePorts": None,
            "loadBalancerClass": None,
            "healthCheckNodePort": None,
        }
    }


def ingress_to_cluster_ip(
    objects: Objects, name: str = "istio-ingressgateway", namespace: str = ISTIO_NAMESPACE
) -> dict:
    """Patch the ingress gateway's Service to ClusterIP (a cluster with no load balancer, where
    it stays `<pending>`); returns the Service as stored."""
    svc = objects.get("v1", "Service", name, namespace)
    if svc is None:
        raise ClusterError(f"Service {namespace}/{name} not found", 404, "NotFound")
    if (svc.get("spec") or {}).get("type") == "ClusterIP":
        return svc
    return objects.patch(svc, cluster_ip_patch(svc))


def readable_namespaces(
    objects: Objects, candidates: list[str] | tuple[str, ...] = ()
) -> tuple[list[str], bool]:
    """The namespaces the tree can show, and whether the user may list them all. A user without
    cluster-wide rights gets the candidates (the kubeconfig context's namespace, the lab's) they
    can list pods in."""
    try:
        listed = objects.list("v1", "Namespace")
        return sorted(ns["metadata"]["name"] for ns in listed), True
    except ClusterError as exc:
        if exc.status != 403:
            raise
    readable = []
    for name in dict.fromkeys(candidates):
        try:
            objects.list("v1", "Pod", name)
        except ClusterError as exc:
            if exc.status != 403:
                raise
            continue
        readable.append(name)
    return readable, False
