"""Istio's names for hosts, clusters and routes, and the per-proxy names this pilot adds.

One Envoy serves every proxy of the mesh, so each proxy's clusters and listeners carry the proxy's
id (`<pod>.<namespace>`) in front of Istio's own name: `<pod>.<ns>|outbound|9080|v1|reviews.…`.
What a user sees (the access log's cluster column) is Istio's name, kept in the cluster's
metadata under `istiotui.istio_name`.
"""

from __future__ import annotations

from istiotui.local.pilot.model import DOMAIN

PASSTHROUGH = "PassthroughCluster"
BLACKHOLE = "BlackHoleCluster"
METADATA_NS = "istiotui"


def fqdn(host: str, namespace: str) -> str:
    """A VirtualService/DestinationRule host as Istio reads it: short names are local."""
    if host == "*" or host.startswith("*."):
        return host
    # Like Istio, only a name without dots is expanded; `reviews.bookinfo` stays literal.
    return host if "." in host else f"{host}.{namespace}.{DOMAIN}"


def istio_cluster(port: int, subset: str, host: str, direction: str = "outbound") -> str:
    return f"{direction}|{port}|{subset}|{host}"


def scoped(proxy_id: str, name: str) -> str:
    """The Envoy-wide name of one proxy's copy of a cluster or listener."""
    return f"{proxy_id}|{name}"


def unscoped(name: str) -> str:
    """Istio's name from a scoped one (what a pod's stats view shows)."""
    return name.split("|", 1)[1] if "|" in name else name


def host_aliases(host: str, namespace_of_client: str) -> list[str]:
    """The names a client in `namespace_of_client` may use for a Kubernetes service host."""
    if not host.endswith("." + DOMAIN):
        return [host]
    short = host[: -len(DOMAIN) - 1]  # name.ns
    name, ns = short.split(".", 1)
    names = [host, f"{short}.svc", short]
    if ns == namespace_of_client:
        names.append(name)
    return names


def host_matches(pattern: str, host: str) -> bool:
    """Whether a host (or wildcard) pattern covers a host, as Istio compares hostnames."""
    if pattern == "*" or pattern == host:
        return True
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return False


def hosts_intersect(a: str, b: str) -> str | None:
    """The more specific of two hosts when one covers the other, else None."""
    if host_matches(a, b):
        return b
    if host_matches(b, a):
        return a
    return None
