"""Envoy's admin answers read as numbers: `/stats` text and `/clusters` text, per outbound cluster.

Istio names a sidecar's outbound clusters `outbound|PORT|SUBSET|FQDN`; their statistics are
`cluster.<that name>.<stat>` in `/stats` and their endpoints' counters are
`<that name>::<ip>:<port>::rq_total::N` lines in `/clusters`. The local cluster's one Envoy puts
the proxy's id in front (`<pod>.<ns>|outbound|…`, see local/pilot/names.py); both forms are read
here, so one parse of the shared Envoy's answer gives every proxy's part.

Histograms in the text form carry `P50(interval,cumulative)` pairs; the cumulative value is the
one kept (everything here counts since the proxy started).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from istiotui.mesh.access_log import RouteFlags

# `cluster.[<proxy>|]outbound|9080|v1|reviews.bookinfo.svc.cluster.local.upstream_rq_2xx: 7`;
# the host is the shortest run before `.upstream_…` (hosts never hold that word).
_STAT = re.compile(
    r"^cluster\.(?:(?P<proxy>[^|\s]+)\|)?(?P<cluster>outbound\|\d+\|[^|]*\|\S+?)\."
    r"(?P<scope>(?:internal|external|canary)\.)?(?P<stat>upstream_[a-z0-9_]+): (?P<value>.*)$"
)
_QUANTILE = re.compile(r"P(?P<q>[\d.]+)\((?P<interval>[^,]+),(?P<cumulative>[^)]+)\)")
# `/clusters`: `[<proxy>|]outbound|…::127.10.0.5:9080::rq_total::12`
_HOST = re.compile(
    r"^(?:(?P<proxy>[^|\s:]+)\|)?(?P<cluster>outbound\|\d+\|[^|]*\|[^:\s]+)::"
    r"(?P<ip>[\d.]+|\[[^\]]+\]):(?P<port>\d+)::(?P<stat>rq_total|rq_error|rq_success)::(?P<n>\d+)$"
)
# `…::127.30.0.5:9080::hostname::127.10.0.5`: the endpoint's hostname, which the local cluster's
# pilot sets to the pod's address where the endpoint is the pod's sidecar (its inbound side).
_HOSTNAME = re.compile(
    r"^(?:(?P<proxy>[^|\s:]+)\|)?(?P<cluster>outbound\|\d+\|[^|]*\|[^:\s]+)::"
    r"(?P<ip>[\d.]+|\[[^\]]+\]):(?P<port>\d+)::hostname::(?P<name>[\d.]+)$"
)

# Envoy's cluster counters that stand for one of Istio's response flags (access-log letters).
FLAG_COUNTERS = {
    "upstream_rq_pending_overflow": "UO",  # circuit breaker: too many pending requests
    "upstream_cx_none_healthy": "UH",  # no healthy upstream host
    "upstream_cx_connect_fail": "UF",  # upstream connection failure
    "upstream_rq_timeout": "UT",  # upstream request timeout
    "upstream_rq_retry_limit_exceeded": "URX",  # retries exhausted
    "upstream_rq_rx_reset": "UR",  # upstream reset the request
}
_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")


@dataclass
class ClusterStats:
    """One proxy's counters for one outbound cluster, since the proxy started."""

    name: str  # Istio's name: outbound|PORT|SUBSET|FQDN
    counters: dict[str, int] = field(default_factory=dict)
    quantiles: dict[float, float] = field(default_factory=dict)  # upstream_rq_time, ms
    hosts: dict[str, dict[str, int]] = field(default_factory=dict)  # ip → rq_total/rq_error
    # From the proxy's access log (mesh.access_log): flags no counter holds, and the requests
    # the proxy answered itself (no route, an injected abort), which the counters never saw.
    route_flags: dict[str, int] = field(default_factory=dict)
    local_answers: int = 0
    local_errors: int = 0

    @property
    def port(self) -> int:
        return int(self.name.split("|")[1])

    @property
    def subset(self) -> str:
        return self.name.split("|")[2]

    @property
    def host(self) -> str:
        return self.name.split("|", 3)[3]

    @property
    def requests(self) -> int:
        """Answers of any status class (the router counts each upstream attempt), and those the
        proxy gave itself."""
        sent = sum(self.counters.get(f"upstream_rq_{c}", 0) for c in _CLASSES)
        return sent + self.local_answers

    @property
    def errors(self) -> int:
        return self.counters.get("upstream_rq_5xx", 0) + self.local_errors

    def flags(self) -> dict[str, int]:
        found = {f: n for stat, f in FLAG_COUNTERS.items() if (n := self.counters.get(stat, 0))}
        return found | {f: n for f, n in self.route_flags.items() if n}

    def quantile(self, q: float) -> float | None:
        value = self.quantiles.get(q)
        return None if value is None or math.isnan(value) else value


# proxy id (None: a proxy's own unscoped answer) → cluster name → its statistics
ProxyClusters = dict[str | None, dict[str, ClusterStats]]


def _entry(out: ProxyClusters, proxy: str | None, cluster: str) -> ClusterStats:
    clusters = out.setdefault(proxy, {})
    if cluster not in clusters:
        clusters[cluster] = ClusterStats(cluster)
    return clusters[cluster]


def parse_stats(text: str, out: ProxyClusters | None = None) -> ProxyClusters:
    """The outbound clusters' counters and `upstream_rq_time` quantiles in `/stats` text."""
    out = {} if out is None else out
    for line in text.splitlines():
        if not line.startswith("cluster."):
            continue
        m = _STAT.match(line)
        if m is None or m.group("scope"):  # the same requests again, split by the caller's kind
            continue
        stats = _entry(out, m.group("proxy"), m.group("cluster"))
        stat, value = m.group("stat"), m.group("value").strip()
        if stat == "upstream_rq_time":
            for q in _QUANTILE.finditer(value):
                stats.quantiles[float(q.group("q"))] = _number(q.group("cumulative"))
        elif value.isdigit():
            stats.counters[stat] = int(value)
    return out


def parse_clusters(text: str, out: ProxyClusters | None = None) -> ProxyClusters:
    """Per-endpoint request counters from `/clusters` text, added to `out`'s clusters."""
    out = {} if out is None else out
    pods: dict[tuple[str | None, str, str], str] = {}  # an endpoint's address → its pod's
    counts: list[tuple[str | None, str, str, str, int]] = []
    for line in text.splitlines():
        line = line.strip()
        if (named := _HOSTNAME.match(line)) is not None:
            key = (named.group("proxy"), named.group("cluster"), named.group("ip").strip("[]"))
            pods[key] = named.group("name")
        elif (m := _HOST.match(line)) is not None:
            ip = m.group("ip").strip("[]")
            counts.append(
                (m.group("proxy"), m.group("cluster"), ip, m.group("stat"), int(m.group("n")))
            )
    for proxy, cluster, ip, stat, n in counts:
        stats = _entry(out, proxy, cluster)
        stats.hosts.setdefault(pods.get((proxy, cluster, ip), ip), {})[stat] = n
    return out


def counter(text: str, name: str) -> int | None:
    """One statistic's value in `/stats` text (None when the proxy has no such statistic)."""
    prefix = name + ": "
    for line in text.splitlines():
        if line.startswith(prefix):
            value = line[len(prefix) :].strip()
            return int(value) if value.isdigit() else None
    return None


def mirror_only_clusters(config_dump: Any) -> dict[str | None, set[str]]:
    """Per proxy (None: unscoped), the clusters its routes only mirror to: named by a route's
    `request_mirror_policies` and by no route as a destination. Requests counted on those are
    copies whose answers Envoy drops."""
    mirrors: dict[str | None, set[str]] = {}
    live: dict[str | None, set[str]] = {}

    def add(into: dict[str | None, set[str]], name: object) -> None:
        if isinstance(name, str):
            proxy, _, istio = name.rpartition("|outbound|")
            scope = proxy if istio and proxy and "|" not in proxy else None
            into.setdefault(scope, set()).add(name.split("|", 1)[1] if scope else name)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "request_mirror_policies" and isinstance(value, list):
                    for policy in value:
                        if isinstance(policy, dict):
                            add(mirrors, policy.get("cluster"))
                elif key == "cluster" and isinstance(value, str):
                    add(live, value)  # a route's (or a TCP proxy's) destination
                elif key == "weighted_clusters" and isinstance(value, dict):
                    for wc in value.get("clusters") or []:
                        if isinstance(wc, dict):
                            add(live, wc.get("name"))
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config_dump)
    only = {p: names - live.get(p, set()) for p, names in mirrors.items()}
    return {p: names for p, names in only.items() if names}


def add_route_flags(out: ProxyClusters, proxy: str | None, found: RouteFlags) -> None:
    """A proxy's access-log findings (mesh.access_log) onto its clusters (made when the proxy
    sent nothing upstream there: every request aborted, or no route at all)."""
    for cluster, answers in found.items():
        stats = _entry(out, proxy, cluster)
        stats.route_flags = dict(answers.flags)
        stats.local_answers, stats.local_errors = answers.local, answers.local_errors


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan
