"""The traffic graph: who calls whom, how much, how it fails — from the client proxies' statistics.

Pure functions over plain data (pods as dicts, statistics as `envoy_stats` parsed them). An edge
is one client workload (namespace/app/version of the pod whose sidecar sent the requests) to one
destination workload. The destination's version comes from the endpoint the requests went to
(`/clusters`' per-endpoint counters, the endpoint's pod labels), so a Service without subsets is
still split by version; what no endpoint received (circuit-breaker overflow, no healthy host)
stays on the cluster's edge, with the cluster's response-flag counters. Latency percentiles are
the cluster's `upstream_rq_time` histogram (per client cluster, not per endpoint).

Counts are cumulative since each proxy started; `delta` and `rates` compare two snapshots.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from istiotui.mesh.envoy_stats import ClusterStats

DOMAIN = "svc.cluster.local"
GATEWAY_APPS = ("istio-ingressgateway", "istio-egressgateway")


@dataclass(frozen=True, order=True)
class Workload:
    namespace: str
    app: str
    version: str = ""

    def to_json(self) -> dict[str, str]:
        return {"namespace": self.namespace, "app": self.app, "version": self.version}

    @property
    def label(self) -> str:
        where = f"{self.app}.{self.namespace}" if self.namespace else self.app
        return f"{where} {self.version}" if self.version else where


@dataclass(frozen=True)
class Node:
    workload: Workload
    kind: str  # workload | gateway | service | external

    def to_json(self) -> dict[str, str]:
        return {**self.workload.to_json(), "kind": self.kind}


@dataclass(frozen=True)
class Edge:
    source: Workload
    destination: Workload
    requests: int
    errors: int
    p50_ms: float | None
    p99_ms: float | None
    flags: dict[str, int] = field(default_factory=dict)
    mirrored: bool = False  # requests the proxy copied (VirtualService `mirror`), answers dropped
    clusters: tuple[str, ...] = ()  # the client's outbound clusters it was read from

    @property
    def key(self) -> tuple[Workload, Workload, bool]:
        return (self.source, self.destination, self.mirrored)

    @property
    def error_share(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source.to_json(),
            "destination": self.destination.to_json(),
            "requests": self.requests,
            "errors": self.errors,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "flags": dict(sorted(self.flags.items())),
            "mirrored": self.mirrored,
        }


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    source: str  # where the numbers came from, said to the user (in English: the CLI's)
    proxies: int = 0  # how many proxies answered
    # The same said by key for the app's language (`lab.words`); "" when none: `source` is shown.
    source_key: str = ""
    source_fields: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "proxies": self.proxies,
            "nodes": [n.to_json() for n in self.nodes],
            "edges": [e.to_json() for e in self.edges],
        }

    def edge(self, source: Workload, destination: Workload, mirrored: bool = False) -> Edge | None:
        for e in self.edges:
            if e.key == (source, destination, mirrored):
                return e
        return None

    def only_namespace(self, namespace: str | None) -> Graph:
        """The edges that start or end in `namespace` (None: all), and their nodes."""
        if namespace is None:
            return self
        edges = tuple(
            e for e in self.edges if namespace in (e.source.namespace, e.destination.namespace)
        )
        return replace(
            self, edges=edges, nodes=nodes_of(edges, {n.workload: n for n in self.nodes})
        )


def workload_of(pod: Mapping[str, Any]) -> Workload:
    meta = pod.get("metadata") or {}
    labels = meta.get("labels") or {}
    app = labels.get("app") or labels.get("app.kubernetes.io/name") or _owner_name(meta)
    return Workload(meta.get("namespace", ""), app, labels.get("version", ""))


def proxy_id(pod: Mapping[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('name', '')}.{meta.get('namespace', '')}"


def _owner_name(meta: Mapping[str, Any]) -> str:
    # A pod without an app label: its name without the ReplicaSet and pod suffixes.
    name = str(meta.get("name", ""))
    parts = name.split("-")
    return "-".join(parts[:-2]) if len(parts) > 2 else name


def kind_of(w: Workload) -> str:
    return "gateway" if w.app in GATEWAY_APPS or w.app.endswith("gateway") else "workload"


def _service_workload(host: str, subset: str) -> tuple[Workload, str]:
    if host.endswith("." + DOMAIN):
        name, namespace = host[: -len(DOMAIN) - 1].split(".", 1)
        return Workload(namespace, name, subset), "service"
    return Workload("", host, subset), "external"


def build(
    pods: Iterable[Mapping[str, Any]],
    stats: Mapping[str, Mapping[str, ClusterStats]],
    source: str,
    mirrors: Mapping[str, Iterable[str]] | None = None,
) -> Graph:
    """The graph from each proxy's outbound clusters (`stats`: proxy id → cluster → stats).

    `pods` gives the clients (by proxy id `<pod>.<namespace>`) and the endpoints (by pod IP);
    `mirrors`: per proxy id, the clusters its routes only mirror to."""
    by_id: dict[str, Workload] = {}
    by_ip: dict[str, Workload] = {}
    kinds: dict[Workload, str] = {}
    for pod in pods:
        w = workload_of(pod)
        by_id[proxy_id(pod)] = w
        ip = (pod.get("status") or {}).get("podIP")
        if ip:
            by_ip[ip] = w
        kinds.setdefault(w, kind_of(w))
    parts: list[Edge] = []
    for pid, clusters in stats.items():
        client = by_id.get(pid)
        if client is None:
            continue
        mirrored = set((mirrors or {}).get(pid, ()))
        for cluster in clusters.values():
            parts += _cluster_edges(client, cluster, by_ip, kinds, cluster.name in mirrored)
    edges = combine(parts)
    return Graph(
        nodes_of(edges, {w: Node(w, k) for w, k in kinds.items()}), edges, source, len(stats)
    )


def _cluster_edges(
    client: Workload,
    cluster: ClusterStats,
    by_ip: Mapping[str, Workload],
    kinds: dict[Workload, str],
    mirrored: bool,
) -> list[Edge]:
    total = cluster.requests
    if total == 0 and not cluster.flags():
        return []
    p50, p99 = cluster.quantile(50), cluster.quantile(99)
    per_version: dict[Workload, list[int]] = {}
    for ip, counts in cluster.hosts.items():
        n = counts.get("rq_total", 0)
        dest = by_ip.get(ip)
        if n == 0 or dest is None:
            continue
        seen = per_version.setdefault(dest, [0, 0])
        seen[0] += n
        seen[1] += counts.get("rq_error", 0)
    edges = [
        Edge(client, dest, n, min(err, n), p50, p99, {}, mirrored, (cluster.name,))
        for dest, (n, err) in sorted(per_version.items())
    ]
    rest = max(0, total - sum(e.requests for e in edges))
    rest_errors = max(0, cluster.errors - sum(e.errors for e in edges))
    flags = cluster.flags()
    if len(edges) == 1:  # one destination: what no endpoint answered is still its edge
        e = edges[0]
        edges[0] = replace(
            e, requests=e.requests + rest, errors=e.errors + rest_errors, flags=flags
        )
    elif rest or flags or not edges:
        dest, kind = _service_workload(cluster.host, cluster.subset)
        kinds.setdefault(dest, kind)
        edges.append(Edge(client, dest, rest, min(rest_errors, rest), p50, p99, flags, mirrored,
                          (cluster.name,)))  # fmt: skip
    return edges


def combine(parts: Iterable[Edge]) -> tuple[Edge, ...]:
    """Edges of the same workloads (replicas, several clusters) added up; the percentiles of the
    busiest part are kept (histograms cannot be added from their quantiles)."""
    out: dict[tuple[Workload, Workload, bool], Edge] = {}
    busiest: dict[tuple[Workload, Workload, bool], int] = {}
    for e in parts:
        old = out.get(e.key)
        if old is None:
            out[e.key], busiest[e.key] = e, e.requests
            continue
        flags = dict(old.flags)
        for k, v in e.flags.items():
            flags[k] = flags.get(k, 0) + v
        merged = replace(
            old,
            requests=old.requests + e.requests,
            errors=old.errors + e.errors,
            flags=flags,
            clusters=tuple(sorted(set(old.clusters) | set(e.clusters))),
        )
        if e.requests > busiest[e.key]:
            merged = replace(merged, p50_ms=e.p50_ms, p99_ms=e.p99_ms)
            busiest[e.key] = e.requests
        out[e.key] = merged
    return tuple(sorted(out.values(), key=lambda e: (e.source, e.destination, e.mirrored)))


def nodes_of(edges: Iterable[Edge], known: Mapping[Workload, Node]) -> tuple[Node, ...]:
    seen: dict[Workload, Node] = {}
    for e in edges:
        for w in (e.source, e.destination):
            seen.setdefault(w, known.get(w) or Node(w, kind_of(w)))
    return tuple(sorted(seen.values(), key=lambda n: n.workload))


def delta(after: Graph, before: Graph) -> Graph:
    """What happened between two snapshots: requests, errors and flags added per edge (edges
    without new requests or flags are left out; a proxy that restarted counts from zero)."""
    old = {e.key: e for e in before.edges}
    edges = []
    for e in after.edges:
        prev = old.get(e.key)
        if prev is None or prev.requests > e.requests:
            edges.append(e)
            continue
        flags = {k: v - prev.flags.get(k, 0) for k, v in e.flags.items()}
        flags = {k: v for k, v in flags.items() if v > 0}
        added = e.requests - prev.requests
        if added or flags:
            edges.append(replace(e, requests=added, errors=max(0, e.errors - prev.errors),
                                 flags=flags))  # fmt: skip
    kept = tuple(edges)
    return replace(after, edges=kept, nodes=nodes_of(kept, {n.workload: n for n in after.nodes}))


def rates(after: Graph, before: Graph | None, seconds: float) -> dict[tuple, float]:
    """Requests per second per edge between two snapshots `seconds` apart."""
    if before is None or seconds <= 0:
        return {}
    return {e.key: e.requests / seconds for e in delta(after, before).edges}


def find(graph: Graph, source: str, destination: str) -> list[Edge]:
    """Edges from `source` to `destination`, each `app` or `app/version` (`app` alone: any
    version); the namespace is not compared."""

    def fits(w: Workload, spec: str) -> bool:
        app, _, version = spec.partition("/")
        return w.app == app and (not version or w.version == version)

    return [e for e in graph.edges if fits(e.source, source) and fits(e.destination, destination)]


# --- how an edge reads, for the CLI table and the TUI view alike -------------------------------

COLUMNS = ("SOURCE", "DESTINATION", "REQUESTS", "RPS", "5XX", "P50", "P99", "FLAGS")


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}ms" if value >= 10 else f"{value:.1f}ms"


def flags_text(flags: Mapping[str, int]) -> str:
    return " ".join(f"{k}:{v}" for k, v in sorted(flags.items())) or "-"


def row(edge: Edge, rps: float | None = None) -> tuple[str, ...]:
    """One edge as table cells (rps: None when there is no earlier snapshot to compare)."""
    dest = edge.destination.label + (" (mirror)" if edge.mirrored else "")
    return (
        edge.source.label,
        dest,
        str(edge.requests),
        "-" if rps is None else f"{rps:.1f}",
        f"{edge.error_share:.1%}" if edge.requests else "-",
        _ms(edge.p50_ms),
        _ms(edge.p99_ms),
        flags_text(edge.flags),
    )


VIEW_COLUMNS = ("EDGE", "RPS", "5XX", "P50", "P99", "FLAGS")


def view_row(edge: Edge, rps: float | None, wide: bool) -> tuple[str, ...]:
    """An edge for the Graph view: `source → destination` in one cell (with namespaces when
    the screen is wide), then rps, 5xx share, p50, p99, flags."""

    def name(w: Workload) -> str:
        if wide:
            return w.label
        return f"{w.app} {w.version}" if w.version else w.app

    arrow = " ⇢ " if edge.mirrored else " → "  # a mirror's copies are drawn apart
    cells = row(edge, rps)
    return (name(edge.source) + arrow + name(edge.destination), *cells[3:])


def table(graph: Graph, rates_by_edge: Mapping[tuple, float] | None = None) -> str:
    """The graph as a plain-text table, kubectl-style (columns padded, two spaces apart)."""
    rows = [COLUMNS] + [
        row(e, None if rates_by_edge is None else rates_by_edge.get(e.key, 0.0))
        for e in graph.edges
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )
