"""The pilot's inputs: the Kubernetes and Istio objects it reads, gathered into plain records.

`gather()` turns raw object dicts (as the store holds them) into the typed records the builders
use, and rejects what it cannot read with a `PilotError` naming the object and the field.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from istiotui.mesh.labels import selects as labels_select

DOMAIN = "svc.cluster.local"
SIDECAR_CONTAINER = "istio-proxy"


class PilotError(ValueError):
    """An object the pilot cannot compile; the message names the object and the field."""


@dataclass(frozen=True)
class PilotOptions:
    """What the pilot needs to know beyond the objects themselves."""

    log_dir: Path = Path("logs")
    # Stand-ins for external hosts (no internet here): host → (loopback address, port).
    external_hosts: dict[str, tuple[str, int]] = field(default_factory=dict)
    # meshConfig.outboundTrafficPolicy.mode: ALLOW_ANY or REGISTRY_ONLY.
    outbound_policy: str = "ALLOW_ANY"


@dataclass(frozen=True)
class ServicePort:
    port: int
    name: str
    protocol: str  # HTTP, TLS or TCP, as the pilot treats the port
    target_port: int | str


@dataclass(frozen=True)
class Service:
    """A Kubernetes Service or a ServiceEntry host: something a destination can name."""

    host: str  # FQDN for Services, the entry's host for ServiceEntries
    namespace: str
    ports: tuple[ServicePort, ...]
    selector: dict[str, str] | None  # None: no selector (endpoints come from elsewhere)
    name: str = ""  # the Service's name (empty for ServiceEntry hosts)
    created: str = ""
    # ServiceEntry only: resolution and explicit endpoint addresses.
    resolution: str = ""
    entry_endpoints: tuple[tuple[str, dict[str, int], dict[str, str]], ...] = ()

    @property
    def is_entry(self) -> bool:
        return not self.name

    def port(self, number: int) -> ServicePort | None:
        for p in self.ports:
            if p.port == number:
                return p
        return None


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: dict[str, str]
    ip: str
    has_sidecar: bool
    is_gateway: bool
    ready: bool
    container_ports: dict[str, int]  # named container ports, for named targetPorts

    @property
    def proxy_id(self) -> str:
        return f"{self.name}.{self.namespace}"


@dataclass(frozen=True)
class Obj:
    """An Istio config object: kind, name, namespace, spec, creation time (for ordering)."""

    kind: str
    name: str
    namespace: str
    spec: dict[str, Any]
    created: str

    @property
    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass
class Mesh:
    services: list[Service] = field(default_factory=list)
    pods: list[Pod] = field(default_factory=list)
    gateways: list[Obj] = field(default_factory=list)
    virtual_services: list[Obj] = field(default_factory=list)
    destination_rules: list[Obj] = field(default_factory=list)
    # meshConfig.outboundTrafficPolicy.mode of the newest IstioOperator that sets one (the
    # install's saved state holds the mesh config here); "" when none does.
    outbound_policy: str = ""
    # host → its oldest definition, built on first use (the lists are complete by then)
    _by_host: dict[str, Service] | None = field(default=None, compare=False, repr=False)

    def service(self, host: str) -> Service | None:
        if self._by_host is None:
            self._by_host = {}
            for svc in self.services:
                self._by_host.setdefault(svc.host, svc)
        return self._by_host.get(host)


def _meta(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise PilotError(f"{obj.get('kind', 'object')} without metadata.name")
    return name, meta.get("namespace") or "default", str(meta.get("creationTimestamp") or "")


def port_protocol(name: str, app_protocol: str | None, number: int) -> str:
    """How Istio reads a port's protocol: appProtocol, else the name's prefix, else sniffing.

    Sniffing is not done here: an unnamed port is HTTP, except 443 which is TLS.
    """
    label = (app_protocol or name or "").lower()
    prefix = label.split("-", 1)[0]
    if prefix in ("http", "http2", "grpc", "grpc-web", "h2c"):
        return "HTTP"
    if prefix in ("https", "tls"):
        return "TLS"
    if prefix in ("tcp", "mongo", "mysql", "redis"):
        return "TCP"
    return "TLS" if number == 443 else "HTTP"


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PilotError(f"{where}: expected an integer, got {value!r}")
    return value


def _service(obj: dict[str, Any]) -> Service:
    name, ns, created = _meta(obj)
    spec = obj.get("spec") or {}
    ports = []
    for i, p in enumerate(spec.get("ports") or []):
        where = f"Service {ns}/{name}: spec.ports[{i}]"
        number = _int(p.get("port"), f"{where}.port")
        pname = p.get("name") or ""
        target = p.get("targetPort", number)
        if not isinstance(target, (int, str)) or isinstance(target, bool):
            raise PilotError(f"{where}.targetPort: expected a number or a port name")
        proto = port_protocol(pname, p.get("appProtocol"), number)
        if (p.get("protocol") or "TCP").upper() == "UDP":
            continue
        ports.append(ServicePort(number, pname, proto, target))
    selector = spec.get("selector")
    return Service(
        host=f"{name}.{ns}.{DOMAIN}",
        namespace=ns,
        ports=tuple(ports),
        selector=dict(selector) if selector else None,
        name=name,
        created=created,
    )


def _service_entry(obj: dict[str, Any]) -> list[Service]:
    name, ns, created = _meta(obj)
    spec = obj.get("spec") or {}
    where = f"ServiceEntry {ns}/{name}"
    hosts = spec.get("hosts") or []
    if not hosts:
        raise PilotError(f"{where}: spec.hosts is empty")
    ports = []
    for i, p in enumerate(spec.get("ports") or []):
        number = _int(p.get("number"), f"{where}: spec.ports[{i}].number")
        proto = (p.get("protocol") or "").upper()
        kind = {"HTTP": "HTTP", "HTTP2": "HTTP", "GRPC": "HTTP", "HTTPS": "TLS", "TLS": "TLS"}.get(
            proto, "TCP" if proto in ("TCP", "MONGO", "MYSQL", "REDIS") else "HTTP"
        )
        target = p.get("targetPort") or number
        ports.append(ServicePort(number, p.get("name") or "", kind, target))
    endpoints = []
    for i, ep in enumerate(spec.get("endpoints") or []):
        address = ep.get("address")
        if not isinstance(address, str):
            raise PilotError(f"{where}: spec.endpoints[{i}].address is missing")
        endpoints.append((address, dict(ep.get("ports") or {}), dict(ep.get("labels") or {})))
    selector = (spec.get("workloadSelector") or {}).get("labels")
    return [
        Service(
            host=str(h),
            namespace=ns,
            ports=tuple(ports),
            selector=dict(selector) if selector else None,
            created=created,
            resolution=(spec.get("resolution") or "NONE").upper(),
            entry_endpoints=tuple(endpoints),
        )
        for h in hosts
    ]


def _pod(obj: dict[str, Any]) -> Pod | None:
    name, ns, _ = _meta(obj)
    meta = obj.get("metadata") or {}
    status = obj.get("status") or {}
    ip = status.get("podIP")
    if not ip or meta.get("deletionTimestamp") or status.get("phase") in ("Succeeded", "Failed"):
        return None
    spec = obj.get("spec") or {}
    containers = list(spec.get("containers") or [])
    natives = [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
    proxies = [c for c in containers + natives if c.get("name") == SIDECAR_CONTAINER]
    labels = dict(meta.get("labels") or {})
    # A gateway is a proxy running as a router (what istioctl installs), not a sidecar.
    is_gateway = any("router" in (c.get("args") or []) for c in proxies) or labels.get(
        "istio", ""
    ).endswith("gateway")
    ready = True
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Ready":
            ready = cond.get("status") == "True"
    ports = {
        p["name"]: p["containerPort"]
        for c in containers
        for p in c.get("ports") or []
        if p.get("name") and isinstance(p.get("containerPort"), int)
    }
    return Pod(
        name=name,
        namespace=ns,
        labels=labels,
        ip=str(ip),
        has_sidecar=bool(proxies) and not is_gateway,
        is_gateway=is_gateway,
        ready=ready,
        container_ports=ports,
    )


_ISTIO_KINDS = {
    "Gateway": "gateways",
    "VirtualService": "virtual_services",
    "DestinationRule": "destination_rules",
}


OUTBOUND_POLICIES = ("ALLOW_ANY", "REGISTRY_ONLY")


def _outbound_policy(obj: dict[str, Any]) -> tuple[str, str] | None:
    """(creation time, mode) when an IstioOperator's meshConfig sets the outbound policy."""
    name, ns, created = _meta(obj)
    mesh_config = (obj.get("spec") or {}).get("meshConfig") or {}
    policy = mesh_config.get("outboundTrafficPolicy") if isinstance(mesh_config, dict) else None
    mode = policy.get("mode") if isinstance(policy, dict) else None
    if mode is None:
        return None
    if mode not in OUTBOUND_POLICIES:
        raise PilotError(
            f"IstioOperator {ns}/{name}: spec.meshConfig.outboundTrafficPolicy.mode: {mode!r} is"
            " not ALLOW_ANY or REGISTRY_ONLY"
        )
    return created, str(mode)


def records(obj: dict[str, Any]) -> tuple[str, list[Any]]:
    """What the pilot reads in one object: (the Mesh list it goes to, its records); ("", [])
    for what the pilot ignores. Pure: the same object always gives equal records."""
    kind = obj.get("kind")
    api = str(obj.get("apiVersion") or "")
    if kind == "Service" and api == "v1":
        return "services", [_service(obj)]
    if kind == "Pod" and api == "v1":
        pod = _pod(obj)
        return "pods", [] if pod is None else [pod]
    if kind == "ServiceEntry" and api.startswith("networking.istio.io/"):
        return "services", list(_service_entry(obj))
    if kind in _ISTIO_KINDS and api.startswith("networking.istio.io/"):
        name, ns, created = _meta(obj)
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            raise PilotError(f"{kind} {ns}/{name}: spec is missing")
        # A copy: records outlive the call (compile_cache), the caller's dict may change.
        return _ISTIO_KINDS[kind], [Obj(str(kind), name, ns, copy.deepcopy(spec), created)]
    if kind == "IstioOperator" and api.startswith("install.istio.io/"):
        found = _outbound_policy(obj)
        return ("policies", []) if found is None else ("policies", [found])
    return "", []


def gather(
    objects: list[dict[str, Any]],
    read: Callable[[dict[str, Any]], tuple[str, list[Any]]] = records,
) -> Mesh:
    """The mesh as the pilot sees it: unknown kinds are ignored, order is made deterministic.
    `read` reads one object (`records`, or a cache of it)."""
    mesh = Mesh()
    policies: list[tuple[str, str]] = []
    for obj in objects:
        bucket, found = read(obj)
        if bucket == "policies":
            policies.extend(found)
        elif bucket:
            getattr(mesh, bucket).extend(found)
    if policies:
        mesh.outbound_policy = max(policies)[1]  # the newest install's mesh config
    # Istio resolves conflicts by age, oldest first; name breaks ties.
    mesh.services.sort(key=lambda s: (s.is_entry, s.created, s.host))
    mesh.pods.sort(key=lambda p: (p.namespace, p.name))
    for group in (mesh.gateways, mesh.virtual_services, mesh.destination_rules):
        group.sort(key=lambda o: (o.created, o.namespace, o.name))
    return mesh


def selects(selector: dict[str, str] | None, labels: dict[str, str]) -> bool:
    # No selector at all selects nothing; an empty one (a subset without labels) selects all.
    return selector is not None and labels_select(selector, labels, empty_selects_all=True)
