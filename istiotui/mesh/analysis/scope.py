"""Who sees what (`exportTo`), and what manifest files alone can and cannot tell.

A reference is sound when some namespace sees both ends: a VirtualService exported to `ns-b` may
route to a ServiceEntry exported to `ns-b` only, whatever namespaces the two live in. istioctl
checks references from the referring object's own namespace and cries wolf on such pairs
(istio/istio#39629, #46269, #35493).
"""

from __future__ import annotations

from dataclasses import dataclass

CLUSTER_DOMAIN = "svc.cluster.local"
EXPORT_ANNOTATION = "networking.istio.io/exportTo"

# None: every namespace ("*", or no exportTo at all).
Scope = frozenset[str] | None


def export_scope(obj: dict) -> Scope:
    """The namespaces an object is visible in: `exportTo` (or, on a Service, its annotation)."""
    if obj.get("kind") == "Service":
        raw = ((obj.get("metadata") or {}).get("annotations") or {}).get(EXPORT_ANNOTATION)
        values = [v.strip() for v in str(raw).split(",")] if raw else []
    else:
        values = list((obj.get("spec") or {}).get("exportTo") or [])
    if not values:
        return None
    own = (obj.get("metadata") or {}).get("namespace") or "default"
    seen: set[str] = set()
    for value in values:
        if value == "*":
            return None
        if value == ".":
            seen.add(own)
        elif value != "~":  # "~": exported nowhere
            seen.add(str(value))
    return frozenset(seen)


def overlap(a: Scope, b: Scope) -> bool:
    """Whether some namespace sees both."""
    if a is None:
        return b is None or bool(b)
    if b is None:
        return bool(a)
    return bool(a & b)


def clashes(a: dict, b: dict) -> bool:
    """Two objects (not one object read twice) that some namespace sees together."""

    def ident(o: dict) -> tuple[str, str]:
        meta = o.get("metadata") or {}
        return (meta.get("namespace") or "default", meta.get("name", ""))

    return ident(a) != ident(b) and overlap(export_scope(a), export_scope(b))


def cluster_namespace(host: str) -> str | None:
    """The namespace of a cluster-local FQDN (`name.ns.svc.cluster.local`), else None."""
    suffix = f".{CLUSTER_DOMAIN}"
    if not host.endswith(suffix):
        return None
    parts = host[: -len(suffix)].split(".")
    return parts[1] if len(parts) == 2 else None


@dataclass(frozen=True)
class Offline:
    """Files analysed without a cluster (`--use-kube=false`), and what an Istio install adds.

    `installed` holds the objects an install creates (the gateways' Deployments and Services, from
    the lab's IstioOperator files and Istio's defaults): Gateways are judged against them too.
    """

    installed: tuple[dict, ...] = ()
