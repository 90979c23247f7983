"""The proxies' own statistics, fetched: the data behind the traffic graph and the stat checks.

Sources of one result, a `mesh.traffic_graph.Graph` that names the source it came from:

- `ExecSource`: each pod's istio-proxy through exec, as a learner would ask a real cluster.
  First `pilot-agent request GET stats/prometheus`: an Istio proxy's stats filter exports
  `istio_requests_total` and the request-duration histogram whatever its stats inclusion list
  (`mesh.istio_metrics`); a plain Envoy (the local cluster's, which answers the same way per
  sidecar) has none, and then its outbound clusters' statistics are read (`… GET stats` and
  `… GET clusters`, `mesh.envoy_stats`), which a real Istio keeps only for pods that ask;
- `AdminSource`: the local cluster's one Envoy admin, asked once for every proxy (its names carry
  the proxy's id, which the parse splits on) — one request instead of two execs per pod;
- `cluster.prometheus.PrometheusSource`: the Prometheus addon's `istio_requests_total`.

Counts are cumulative since each proxy started.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from kubernetes import client

from istiotui.cluster.errors import ClusterError
from istiotui.cluster.objects import Objects
from istiotui.cluster.proxy_dump import PROXY_CONTAINER, exec_request
from istiotui.mesh import access_log, envoy_stats, istio_metrics, traffic_graph
from istiotui.mesh.traffic_graph import Graph

# Only the outbound clusters' statistics, and only those that counted something.
STATS_PATH = "stats?usedonly&filter=" + urllib.parse.quote(r"outbound\|")
PROMETHEUS_PATH = "stats/prometheus?usedonly"
CLUSTERS_PATH = "clusters"
EXEC_WORKERS = 8
ADMIN_TIMEOUT = 10.0


def has_proxy(pod: Mapping[str, Any]) -> bool:
    containers = (pod.get("spec") or {}).get("containers") or []
    running = (pod.get("status") or {}).get("phase") == "Running"
    return running and any(c.get("name") == PROXY_CONTAINER for c in containers)


class Source(Protocol):
    label: str

    def graph(self, pods: list[dict]) -> Graph: ...


def pilot_agent(api_client: client.ApiClient, pod: Mapping[str, Any], path: str) -> str:
    """`kubectl exec POD -c istio-proxy -- pilot-agent request GET PATH`'s output."""
    meta = pod["metadata"]
    argv = ["pilot-agent", "request", "GET", path]
    return exec_request(api_client, meta["namespace"], meta["name"], PROXY_CONTAINER, argv, 30.0)


Mirrors = dict[str | None, set[str]]
MIRRORS_TTL = 10.0  # seconds a config dump's mirror targets are kept (the dump is large)


# Envoy's counts of accepted config updates (LDS, CDS, each RDS): they change with the routes.
CONFIG_VERSION_PATH = "stats?filter=" + urllib.parse.quote(r"update_success$")


@dataclass
class _MirrorCache:
    value: Mirrors | None = None
    at: float = 0.0
    version: str | None = None

    def get(self, load: Callable[[], Mirrors], version: str | None = None) -> Mirrors:
        """The mirror targets, loaded again after MIRRORS_TTL, or at once when `version` (what
        the config is now, where that is cheap to ask) changed."""
        now = time.monotonic()
        stale = version is not None and version != self.version
        if self.value is None or stale or now - self.at > MIRRORS_TTL:
            self.value, self.at, self.version = load(), now, version
        return self.value


ISTIO_LABEL = "istio_requests_total of each proxy (exec: pilot-agent request GET stats/prometheus)"
ENVOY_LABEL = "Envoy cluster stats of each proxy (exec: pilot-agent request GET stats, clusters)"


@dataclass
class ExecSource:
    api_client: client.ApiClient
    label: str = "each istio-proxy through exec (istio_requests_total, else Envoy cluster stats)"
    _cache: _MirrorCache = field(default_factory=_MirrorCache)
    # Pods whose Envoy has no Istio metrics (not even `istio_build`, which every Istio proxy
    # exports) and counted requests in its clusters: a plain Envoy, as the local cluster's. It
    # will not change while the pod lives, so the `stats/prometheus` read is skipped from then on.
    plain: set[str] = field(default_factory=set)

    def _one(self, pod: Mapping[str, Any]) -> envoy_stats.ProxyClusters:
        pid = traffic_graph.proxy_id(pod)
        try:
            mine = envoy_stats.parse_stats(pilot_agent(self.api_client, pod, STATS_PATH))
            envoy_stats.parse_clusters(pilot_agent(self.api_client, pod, CLUSTERS_PATH), mine)
        except ClusterError:
            return {}  # a pod going away between the list and the exec: no edges from it
        return {pid: mine.get(None, {})}

    def _read(self, pod: Mapping[str, Any]) -> _ProxyAnswer:
        """One proxy's requests: its Istio metrics when it has them, else its Envoy clusters'
        statistics; None when the pod went away between the list and the exec."""
        key = _pod_key(pod)
        if key not in self.plain:
            try:
                text = pilot_agent(self.api_client, pod, PROMETHEUS_PATH)
            except ClusterError:
                return None
            if istio_metrics.has_istio_stats(text):
                try:
                    return istio_metrics.parse(text)
                except istio_metrics.MetricsError as exc:
                    meta = pod["metadata"]
                    where = f"pod {meta['namespace']}/{meta['name']}: {PROMETHEUS_PATH}"
                    raise ClusterError(f"{where}: {exc}") from None
        clusters = self._one(pod)
        if any(clusters.values()):
            self.plain.add(key)
        return clusters

    def graph(self, pods: list[dict]) -> Graph:
        proxied = [p for p in pods if has_proxy(p)]
        # Only the pods there now: in a long session pods come and go (their keys carry the uid).
        self.plain &= {_pod_key(p) for p in proxied}
        with ThreadPoolExecutor(EXEC_WORKERS) as pool:
            answers = list(pool.map(self._read, proxied))
        samples: list[istio_metrics.Sample] = []
        clusters: envoy_stats.ProxyClusters = {}
        from_envoy: list[dict] = []
        by_istio = answered = 0
        for pod, answer in zip(proxied, answers, strict=True):
            if answer is None:
                continue
            answered += 1
            if isinstance(answer, list):
                samples += answer
                by_istio += 1
            elif any(answer.values()):
                clusters.update(answer)
                from_envoy.append(pod)
        by_envoy = len(from_envoy)
        mirrors = self.mirrors(from_envoy) if by_envoy else {}
        envoy_part = traffic_graph.build(pods, clusters, ENVOY_LABEL, mirrors)
        edges = traffic_graph.combine((*istio_metrics.edges_of(samples), *envoy_part.edges))
        fields: tuple[tuple[str, str], ...] = ()
        if by_envoy and by_istio:
            label = (f"istio_requests_total of {by_istio} proxies, Envoy cluster stats of "
                     f"{by_envoy} (exec in each istio-proxy)")  # fmt: skip
            key, fields = "source.exec_both", (("istio", str(by_istio)), ("envoy", str(by_envoy)))
        elif by_envoy or by_istio:
            label = ENVOY_LABEL if by_envoy else ISTIO_LABEL
            key = "source.exec_envoy" if by_envoy else "source.exec_istio"
        else:
            label, key = self.label, "source.exec"  # nothing counted yet: either may come
        known = {n.workload: n for n in envoy_part.nodes}
        nodes = traffic_graph.nodes_of(edges, known)
        return Graph(nodes, edges, label, answered, source_key=key, source_fields=fields)

    def _mirrors_of(self, pod: Mapping[str, Any]) -> Mirrors:
        try:
            dump = json.loads(pilot_agent(self.api_client, pod, "config_dump"))
        except (ClusterError, ValueError):
            return {}
        found = envoy_stats.mirror_only_clusters(dump).get(None)
        return {traffic_graph.proxy_id(pod): found} if found else {}

    def mirrors(self, pods: list[dict]) -> Mirrors:
        def load() -> Mirrors:
            with ThreadPoolExecutor(EXEC_WORKERS) as pool:
                found: Mirrors = {}
                for part in pool.map(self._mirrors_of, [p for p in pods if has_proxy(p)]):
                    found.update(part)
                return found

        return self._cache.get(load)


# One proxy's answer: Istio's samples, its Envoy clusters (by proxy id), or None (gone).
_ProxyAnswer = list[istio_metrics.Sample] | envoy_stats.ProxyClusters | None


def _pod_key(pod: Mapping[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    return f"{traffic_graph.proxy_id(pod)}/{meta.get('uid', '')}"


@dataclass
class _LogTail:
    """A proxy's access log read on from where the last read stopped (a file that shrank is a
    new one: read from its start)."""

    offset: int = 0
    partial: str = ""
    found: access_log.RouteFlags = field(default_factory=dict)

    def read(self, path: Path) -> access_log.RouteFlags:
        try:
            size = path.stat().st_size
            if size < self.offset:
                self.offset, self.partial, self.found = 0, "", {}
            if size > self.offset:
                with path.open("rb") as fh:
                    fh.seek(self.offset)
                    data = fh.read(size - self.offset)
                self.offset += len(data)
                text = self.partial + data.decode(errors="replace")
                complete, _, self.partial = text.rpartition("\n")
                access_log.add_lines(complete, self.found)
        except OSError:
            pass  # no log yet (a proxy that has logged nothing), or the pod went away
        return self.found


ProxyLog = Callable[[str, str], Path]  # (namespace, pod) → its istio-proxy access log


@dataclass
class AdminSource:
    admin_url: str
    # The local cluster's proxies' access logs: the flags no cluster counter holds (NR, FI, DI,
    # DC) and the requests a proxy answered itself. None: not read.
    proxy_log: ProxyLog | None = None
    label: str = "the local Envoy's admin, per sidecar"
    _cache: _MirrorCache = field(default_factory=_MirrorCache)
    _tails: dict[str, _LogTail] = field(default_factory=dict)
    # The view's refresh and a step's verify may read at once: one reader of the logs at a time.
    _tails_lock: threading.Lock = field(default_factory=threading.Lock)

    def _get(self, path: str) -> str:
        url = f"{self.admin_url.rstrip('/')}/{path}"
        try:
            with urllib.request.urlopen(url, timeout=ADMIN_TIMEOUT) as resp:
                return resp.read().decode(errors="replace")
        except OSError as exc:
            raise ClusterError(f"the local Envoy's admin at {self.admin_url}: {exc}") from None

    def fetch(self, pods: list[dict]) -> envoy_stats.ProxyClusters:
        parsed = envoy_stats.parse_stats(self._get(STATS_PATH))
        envoy_stats.parse_clusters(self._get(CLUSTERS_PATH), parsed)
        if self.proxy_log is not None:
            with self._tails_lock:
                self._read_logs(pods, parsed)
        return parsed

    def _read_logs(self, pods: list[dict], into: envoy_stats.ProxyClusters) -> None:
        assert self.proxy_log is not None
        tails: dict[str, _LogTail] = {}
        for pod in pods:
            if has_proxy(pod):
                meta, key = pod["metadata"], _pod_key(pod)
                tails[key] = tail = self._tails.get(key) or _LogTail()
                found = tail.read(self.proxy_log(meta["namespace"], meta["name"]))
                envoy_stats.add_route_flags(into, traffic_graph.proxy_id(pod), found)
        self._tails = tails  # pods gone: their tails with them

    def mirrors(self, pods: list[dict]) -> Mirrors:
        # One small admin request tells whether the routes changed since the dump was read: a
        # mirror just applied is drawn as one on the next refresh.
        return self._cache.get(
            lambda: envoy_stats.mirror_only_clusters(json.loads(self._get("config_dump"))),
            self._get(CONFIG_VERSION_PATH),
        )

    def graph(self, pods: list[dict]) -> Graph:
        stats = {k: v for k, v in self.fetch(pods).items() if k is not None}
        mirrors = {k: v for k, v in self.mirrors(pods).items() if k is not None}
        graph = traffic_graph.build(pods, stats, self.label, mirrors)
        return replace(graph, source_key="source.admin")


def collect(objects: Objects, source: Source, namespace: str | None = None) -> Graph:
    """The traffic graph now, from every proxy (edges that start or end in `namespace`)."""
    return source.graph(objects.list("v1", "Pod")).only_namespace(namespace)


def stat_total(
    api_client: client.ApiClient, pods: Iterable[Mapping[str, Any]], name: str
) -> int | None:
    """One statistic added up over pods' proxies (exec `pilot-agent request GET stats`); None
    when no proxy has it."""
    # Without the scope word: the local Envoy filters before the proxy's id is taken off.
    tail = name.partition(".")[2] or name
    path = "stats?filter=" + urllib.parse.quote(_regex_escape(tail) + "$")
    found = [envoy_stats.counter(pilot_agent(api_client, p, path), name) for p in pods]
    values = [v for v in found if v is not None]
    return sum(values) if values else None


def _regex_escape(text: str) -> str:
    return "".join("\\" + c if c in r".^$*+?()[]{}|\\" else c for c in text)
