"""Checks on what serves traffic: gateways' workloads and ports, sidecar injection, egress."""

from __future__ import annotations

from collections.abc import Iterator

from istiotui.mesh.analysis import findings as F
from istiotui.mesh.analysis.index import Index, fqdn, name_of, namespace_of, selects

INJECTION_LABEL = "istio-injection"
# Namespaces Istio itself runs in, or Kubernetes does: never injected, never a lab mistake.
SYSTEM_NAMESPACES = frozenset({"istio-system", "kube-system", "kube-public", "kube-node-lease"})


def _finding(obj: dict, check: F.Check, path: str, **params: object) -> F.Finding:
    return F.Finding(check, obj.get("kind", "?"), namespace_of(obj), name_of(obj), path, params)


def check_gateways(index: Index) -> Iterator[F.Finding]:
    for gw in index.kind("Gateway"):
        selector = (gw.get("spec") or {}).get("selector") or {}
        matched = [w for w in index.workloads if selects(selector, w.labels)]
        if selector and not matched:
            shown = _labels(selector)
            if index.offline is None:
                yield _finding(gw, F.GATEWAY_SELECTOR_UNMATCHED, "spec.selector", selector=shown)
            else:
                # Files alone: the gateway may come from an install we were not shown.
                known = sorted(
                    {_labels(_istio_label(w.labels)) for w in index.workloads if w.installed}
                )
                yield _finding(
                    gw,
                    F.GATEWAY_SELECTOR_OFFLINE,
                    "spec.selector",
                    selector=shown,
                    known=", ".join(known) or "—",
                )
            continue
        services = _services_of(index, matched)
        if not services:
            continue
        exposed = {p.get("port") for s in services for p in (s.get("spec") or {}).get("ports", [])}
        for i, server in enumerate((gw.get("spec") or {}).get("servers") or []):
            port = (server.get("port") or {}).get("number")
            # Istio also accepts the Service's targetPort, as the Bookinfo gateway's 8080 shows.
            targets = {
                p.get("targetPort")
                for s in services
                for p in (s.get("spec") or {}).get("ports", [])
            }
            if port is not None and port not in exposed and port not in targets:
                yield _finding(
                    gw,
                    F.GATEWAY_PORT_NOT_EXPOSED,
                    f"spec.servers[{i}].port.number",
                    port=port,
                    service=", ".join(name_of(s) for s in services),
                )


def _labels(labels: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in labels.items())


def _istio_label(labels: dict) -> dict:
    """The label Gateways select an installed gateway by (`istio=…`), else all of them."""
    return {"istio": labels["istio"]} if "istio" in labels else dict(labels)


def _services_of(index: Index, workloads: list) -> list[dict]:
    found = []
    for svc in index.kind("Service"):
        selector = (svc.get("spec") or {}).get("selector") or {}
        ns = namespace_of(svc)
        if selector and any(w.namespace == ns and selects(selector, w.labels) for w in workloads):
            found.append(svc)
    return found


def check_injection(index: Index) -> Iterator[F.Finding]:
    namespaces_with_workloads = {w.namespace for w in index.workloads}
    for ns in sorted(namespaces_with_workloads - SYSTEM_NAMESPACES):
        obj = index.namespaces.get(ns)
        if obj is None:
            continue  # analysing files alone: the namespace's labels are not known
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if labels.get(INJECTION_LABEL) != "enabled":
            yield _finding(obj, F.NAMESPACE_NOT_INJECTED, "metadata.labels", namespace=ns)
    for w in index.workloads:
        if w.has_proxy is False and w.namespace not in SYSTEM_NAMESPACES:
            ns_obj = index.namespaces.get(w.namespace) or {}
            labels = (ns_obj.get("metadata") or {}).get("labels") or {}
            if labels.get(INJECTION_LABEL) == "enabled":
                yield _finding(w.source, F.POD_WITHOUT_PROXY, "spec.containers", pod=w.name)


def outbound_policy(index: Index) -> str:
    """ALLOW_ANY unless an IstioOperator's meshConfig says REGISTRY_ONLY."""
    for iop in index.kind("IstioOperator"):
        mesh = ((iop.get("spec") or {}).get("meshConfig")) or {}
        mode = (mesh.get("outboundTrafficPolicy") or {}).get("mode")
        if mode:
            return str(mode)
    return "ALLOW_ANY"


def check_egress(index: Index) -> Iterator[F.Finding]:
    if outbound_policy(index) != "REGISTRY_ONLY":
        return
    for kind in ("VirtualService", "DestinationRule"):
        for obj in index.kind(kind):
            spec = obj.get("spec") or {}
            hosts = spec.get("hosts") or ([spec["host"]] if spec.get("host") else [])
            for j, host in enumerate(hosts):
                full = fqdn(host, namespace_of(obj))
                if "." in host and not host.startswith("*") and not index.known_host(full):
                    path = f"spec.hosts[{j}]" if kind == "VirtualService" else "spec.host"
                    yield _finding(obj, F.EXTERNAL_WITHOUT_SERVICE_ENTRY, path, host=host)
