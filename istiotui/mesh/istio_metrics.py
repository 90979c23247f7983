"""Istio's standard request metrics read from Prometheus' text format, and the graph's edges
made of them.

An Istio proxy's stats filter counts every request it handles in `istio_requests_total` and
times it in the `istio_request_duration_milliseconds` histogram, labelled by both ends
(`source_workload_namespace`, `source_app`, `source_version`, `destination_app`, …), the
`response_code` and Envoy's `response_flags`. These are exported whatever the proxy's stats
inclusion list keeps (unlike `cluster.outbound|…`), by each proxy's `stats/prometheus` and, when
the addon runs, by Prometheus' query API (`vector` answers, read by `from_query`).

Only `reporter="source"` is read: the client side of every request, the ingress gateway
included (a source with `app: istio-ingressgateway`), as the Envoy-cluster path reads the client
sidecars. A value Istio could not tell is `unknown`; here it is empty (or the service's name).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from istiotui.mesh.traffic_graph import (
    DOMAIN,
    Edge,
    Graph,
    Node,
    Workload,
    combine,
    kind_of,
    nodes_of,
)

REQUESTS = "istio_requests_total"
DURATION = "istio_request_duration_milliseconds"
_WANTED = (REQUESTS, DURATION + "_bucket")
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Sample:
    """One line of a metric: its name, its labels, its value."""

    name: str
    labels: Mapping[str, str]
    value: float


class MetricsError(ValueError):
    """A line of Prometheus text that cannot be read (its number, 1-based, in the message)."""


def parse(text: str, names: Iterable[str] = _WANTED) -> list[Sample]:
    """The samples of `names` (exact metric names) in Prometheus' text exposition format."""
    wanted = tuple(names)
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith(wanted):
            continue
        name, labels, rest = _split(line, number)
        if name not in wanted:
            continue  # a longer name that shares the prefix
        value = rest.split()[0] if rest.split() else ""
        out.append(Sample(name, labels, _number(value, number)))
    return out


def has_istio_stats(text: str) -> bool:
    """Whether a proxy's `stats/prometheus` holds any of Istio's own metrics (a plain Envoy,
    as the local cluster's, has none)."""
    return any(line.startswith("istio_") for line in text.splitlines())


_LABEL = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')
_ESCAPE = re.compile(r"\\(.)")


def _split(line: str, number: int) -> tuple[str, dict[str, str], str]:
    brace = line.find("{")
    if brace < 0:
        name, _, rest = line.partition(" ")
        return name, {}, rest
    labels: dict[str, str] = {}
    i = brace + 1
    while True:
        m = _LABEL.match(line, i)
        if m is None:
            rest = line[i:].lstrip()
            if rest.startswith("}"):
                return line[:brace], labels, rest[1:]
            raise MetricsError(f"line {number}: a label without a quoted value: {line[:80]}")
        value = m.group(2)
        if "\\" in value:
            value = _ESCAPE.sub(lambda e: "\n" if e.group(1) == "n" else e.group(1), value)
        labels[m.group(1)] = value
        i = m.end()


def _number(text: str, number: int) -> float:
    try:
        return float(text)
    except ValueError:
        raise MetricsError(f"line {number}: {text!r} is not a number") from None


def from_query(answer: Mapping[str, Any], name: str) -> list[Sample]:
    """Samples from a Prometheus query API answer (`resultType: vector`), named `name`."""
    data = answer.get("data") or {}
    if answer.get("status") != "success" or data.get("resultType") != "vector":
        raise MetricsError(f"Prometheus answered {answer.get('status')}: {answer.get('error')}")
    out = []
    for item in data.get("result") or []:
        metric = dict(item.get("metric") or {})
        value = item.get("value") or [0, "nan"]
        try:
            number = float(str(value[1]))
        except ValueError:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(metric.items()))
            raise MetricsError(f"{name}{{{labels}}}: {value[1]!r} is not a number") from None
        out.append(Sample(name, metric, number))
    return out


# --- from samples to edges --------------------------------------------------------------------


def _known(value: str | None) -> str:
    return "" if value in (None, "", UNKNOWN) else str(value)


def source_of(labels: Mapping[str, str]) -> Workload:
    app = _known(labels.get("source_app")) or _known(labels.get("source_canonical_service"))
    app = app or _known(labels.get("source_workload"))
    return Workload(_known(labels.get("source_workload_namespace")), app,
                    _known(labels.get("source_version")))  # fmt: skip


def destination_of(labels: Mapping[str, str]) -> tuple[Workload, str]:
    """The destination workload and its node kind; a request no workload answered (no route,
    no healthy host, an external host) goes to its service: `service` in the mesh, else
    `external`."""
    namespace = _known(labels.get("destination_workload_namespace"))
    app = _known(labels.get("destination_app")) or _known(
        labels.get("destination_canonical_service")
    )
    if namespace and app:
        w = Workload(namespace, app, _known(labels.get("destination_version")))
        return w, kind_of(w)
    host = _known(labels.get("destination_service"))
    if host.endswith("." + DOMAIN):
        name, _, ns = host[: -len(DOMAIN) - 1].partition(".")
        return Workload(ns, name), "service"
    name = _known(labels.get("destination_service_name")) or host or UNKNOWN
    ns = _known(labels.get("destination_service_namespace"))
    return Workload(ns, name), "service" if ns else "external"


def flags_of(labels: Mapping[str, str]) -> list[str]:
    """Envoy's response flags of a sample (`-`: none; several are comma-separated)."""
    text = labels.get("response_flags") or "-"
    return [f for f in text.replace("|", ",").split(",") if f and f != "-"]


@dataclass
class _Counts:
    requests: float = 0.0
    errors: float = 0.0
    flags: dict[str, float] = field(default_factory=dict)
    buckets: dict[float, float] = field(default_factory=dict)  # upper bound → cumulative count


def quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """The q-quantile (0..1) of a cumulative histogram, interpolated linearly inside the bucket
    it falls in (Prometheus' `histogram_quantile`); None without observations. In the last,
    unbounded bucket the highest finite bound is the answer."""
    bounds = sorted(buckets)
    if not bounds or buckets[bounds[-1]] <= 0:
        return None
    total = buckets[bounds[-1]]
    rank = q * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank and count > below:
            if math.isinf(bound):
                return lower
            return lower + (bound - lower) * (rank - below) / (count - below)
        lower, below = bound, count
    return lower


def _edge_key(labels: Mapping[str, str]) -> tuple[Workload, Workload, str]:
    dest, kind = destination_of(labels)
    return source_of(labels), dest, kind


def graph_of(samples: Iterable[Sample], source: str, proxies: int) -> Graph:
    """The graph from `reporter="source"` samples: per (source, destination) workload pair the
    requests, the 5xx answers, the response flags, and p50/p99 from the summed histograms
    (buckets of replicas and response codes add up, unlike quantiles)."""
    return Graph(*_parts(samples), source, proxies)


def edges_of(samples: Iterable[Sample]) -> tuple[Edge, ...]:
    return _parts(samples)[1]


def _parts(samples: Iterable[Sample]) -> tuple[tuple[Node, ...], tuple[Edge, ...]]:
    counts: dict[tuple[Workload, Workload], _Counts] = {}
    kinds: dict[Workload, str] = {}
    for s in samples:
        if s.labels.get("reporter") != "source" or math.isnan(s.value):
            continue
        src, dest, kind = _edge_key(s.labels)
        kinds.setdefault(src, kind_of(src))
        kinds.setdefault(dest, kind)
        c = counts.setdefault((src, dest), _Counts())
        if s.name == REQUESTS:
            c.requests += s.value
            if s.labels.get("response_code", "").startswith("5"):
                c.errors += s.value
            for flag in flags_of(s.labels):
                c.flags[flag] = c.flags.get(flag, 0.0) + s.value
        elif s.name == DURATION + "_bucket":
            le = s.labels.get("le")
            if le is not None:
                bound = float(le)
                c.buckets[bound] = c.buckets.get(bound, 0.0) + s.value
    edges = combine(
        Edge(src, dest, round(c.requests), round(c.errors), quantile(0.5, c.buckets),
             quantile(0.99, c.buckets), {k: round(v) for k, v in c.flags.items() if round(v)})
        for (src, dest), c in counts.items()
        if round(c.requests) or c.flags
    )  # fmt: skip
    return nodes_of(edges, {w: Node(w, k) for w, k in kinds.items()}), edges
