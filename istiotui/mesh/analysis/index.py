"""A set of objects indexed the way the checks ask about them: by kind, by host, by labels."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from istiotui.mesh.analysis.scope import (
    CLUSTER_DOMAIN,
    Offline,
    Scope,
    cluster_namespace,
    export_scope,
    overlap,
)
from istiotui.mesh.labels import selects as labels_select

__all__ = ["CLUSTER_DOMAIN", "Index", "Workload", "fqdn", "host_matches", "selects"]


def fqdn(host: str, namespace: str) -> str:
    """A host as istiod resolves it: a short name (no dot) is relative to the object's namespace;
    anything else (a wildcard, an FQDN, an external name) is taken as written."""
    if "." in host or host.startswith("*"):
        return host
    return f"{host}.{namespace}.{CLUSTER_DOMAIN}"


def host_matches(pattern: str, host: str) -> bool:
    """Istio's host matching: `*` matches all, `*.example.com` a suffix, else equality."""
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return pattern == host


def selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return labels_select(selector, labels, empty_selects_all=True)


@dataclass(frozen=True)
class Workload:
    """A pod, or a Deployment standing for its pods when there is no cluster to ask."""

    namespace: str
    name: str
    labels: Mapping[str, str]
    has_proxy: bool | None  # None: unknown (a Deployment before injection)
    source: dict
    installed: bool = False  # created by an Istio install, not by the files analysed


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _key(obj: dict) -> tuple[str, str, str]:
    return (obj.get("kind", ""), namespace_of(obj), name_of(obj))


def namespace_of(obj: dict, default: str = "default") -> str:
    return _meta(obj).get("namespace") or default


def name_of(obj: dict) -> str:
    return _meta(obj).get("name", "?")


@dataclass
class Index:
    objects: list[dict]
    by_kind: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    services: dict[str, dict] = field(default_factory=dict)  # FQDN → Service
    service_entry_hosts: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    namespaces: dict[str, dict] = field(default_factory=dict)
    workloads: list[Workload] = field(default_factory=list)
    offline: Offline | None = None  # None: a cluster's state, where everything can be judged
    installed: set[int] = field(default_factory=set)  # ids of objects an install would create
    # Files alone: (kind, namespace) of the Services and Gateways they hold. References of a
    # kind into a namespace are judged when the files hold some of that kind there (then taken as
    # all there is); otherwise files alone cannot tell.
    described: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def build(cls, objects: Iterable[dict], offline: Offline | None = None) -> Index:
        given = list(objects)
        index = cls(objects=given, offline=offline)
        if offline is not None:
            index.described = {
                (o["kind"], namespace_of(o))
                for o in given
                if o.get("kind") in ("Service", "Gateway")
            }
            written = {_key(o) for o in given}
            extra = [o for o in offline.installed if _key(o) not in written]
            index.installed = {id(o) for o in extra}
            index.objects = given + extra
        pods_seen = False
        for obj in index.objects:
            kind = obj.get("kind", "")
            index.by_kind[kind].append(obj)
            ns = namespace_of(obj)
            if kind == "Service":
                index.services[fqdn(name_of(obj), ns)] = obj
            elif kind == "ServiceEntry":
                for host in (obj.get("spec") or {}).get("hosts") or []:
                    index.service_entry_hosts[host].append(obj)
            elif kind == "Namespace":
                index.namespaces[name_of(obj)] = obj
            elif kind == "Pod":
                pods_seen = True
                containers = (obj.get("spec") or {}).get("containers") or []
                index.workloads.append(
                    Workload(
                        ns,
                        name_of(obj),
                        _meta(obj).get("labels") or {},
                        any(c.get("name") == "istio-proxy" for c in containers),
                        obj,
                    )
                )
        for dep in index.by_kind.get("Deployment", []):
            # As `istioctl analyze --use-kube=false` does: Deployments stand for their pods (an
            # install's gateways always do: files never hold their pods).
            if not pods_seen or id(dep) in index.installed:
                template = (dep.get("spec") or {}).get("template") or {}
                labels = (template.get("metadata") or {}).get("labels") or {}
                index.workloads.append(
                    Workload(
                        namespace_of(dep),
                        name_of(dep),
                        labels,
                        None,
                        dep,
                        id(dep) in index.installed,
                    )
                )
        return index

    def kind(self, kind: str) -> list[dict]:
        return self.by_kind.get(kind, [])

    def known_host(self, host: str, seen_from: Scope = None) -> bool:
        """A host the mesh knows where `seen_from` is visible: a Service's FQDN or a ServiceEntry
        host (wildcards too), exported to some namespace that also sees the asker."""
        svc = self.services.get(host)
        if svc is not None and overlap(export_scope(svc), seen_from):
            return True
        return any(
            host_matches(pattern, host) and overlap(export_scope(se), seen_from)
            for pattern, entries in self.service_entry_hosts.items()
            for se in entries
        )

    def judges_host(self, host: str) -> bool:
        """Whether a missing host is a mistake, not a gap in what files alone can show."""
        if self.offline is None:
            return True
        ns = cluster_namespace(host)
        if ns is not None:
            return ("Service", ns) in self.described
        return bool(self.service_entry_hosts)

    def judges_gateways_of(self, namespace: str) -> bool:
        return self.offline is None or ("Gateway", namespace) in self.described

    def service_workloads(self, host: str) -> list[Workload]:
        svc = self.services.get(host)
        if svc is None:
            return []
        selector = (svc.get("spec") or {}).get("selector") or {}
        if not selector:
            return []
        ns = namespace_of(svc)
        return [w for w in self.workloads if w.namespace == ns and selects(selector, w.labels)]

    @cached_property
    def routed_subsets(self) -> set[tuple[str, str]]:
        """(host FQDN, subset) pairs some VirtualService routes or mirrors to."""
        found: set[tuple[str, str]] = set()
        for vs in self.kind("VirtualService"):
            ns = namespace_of(vs)
            spec = vs.get("spec") or {}
            for proto in ("http", "tls", "tcp"):
                for rule in spec.get(proto) or []:
                    dests = [(r.get("destination") or {}) for r in rule.get("route") or []]
                    if rule.get("mirror"):
                        dests.append(rule["mirror"])
                    for d in dests:
                        if d.get("host") and d.get("subset"):
                            found.add((fqdn(d["host"], ns), d["subset"]))
        return found

    def destination_rules_for(self, host: str, seen_from: Scope = None) -> list[dict]:
        return [
            dr
            for dr in self.kind("DestinationRule")
            if fqdn((dr.get("spec") or {}).get("host", ""), namespace_of(dr)) == host
            and overlap(export_scope(dr), seen_from)
        ]

    def subsets_for(self, host: str, seen_from: Scope = None) -> dict[str, dict]:
        subsets: dict[str, dict] = {}
        for dr in self.destination_rules_for(host, seen_from):
            for subset in (dr.get("spec") or {}).get("subsets") or []:
                subsets.setdefault(subset.get("name", ""), subset)
        return subsets

    def gateway(self, ref: str, namespace: str) -> dict | None:
        """A VirtualService's gateway reference: `name` (same namespace) or `ns/name`."""
        ns, _, name = ref.rpartition("/")
        ns = ns or namespace
        for gw in self.kind("Gateway"):
            if name_of(gw) == name and namespace_of(gw) == ns:
                return gw
        return None
