"""The proxies' own statistics, fetched: the data behind the traffic graph and the stat checks.

Two sources, one result (`mesh.envoy_stats.ProxyClusters`, read by `mesh.traffic_graph`):

- `ExecSource`: each pod's istio-proxy through exec, `pilot-agent request GET stats` and
  `… GET clusters`, as a learner would ask a real cluster (and the local cluster answers the
  same way, per sidecar);
- `AdminSource`: the local cluster's one Envoy admin, asked once for every proxy (its names carry
  the proxy's id, which the parse splits on) — one request instead of two execs per pod.

Counts are cumulative since each proxy started.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from kubernetes import client

from istiotui.cluster import exec as pod_exec
from istiotui.cluster.errors import ClusterError
from istiotui.cluster.objects import Objects
from istiotui.mesh import envoy_stats, traffic_graph
from istiotui.mesh.traffic_graph import Graph

PROXY_CONTAINER = "istio-proxy"
# Only the outbound clusters' statistics, and only those that counted something.
STATS_PATH = "stats?usedonly&filter=" + urllib.parse.quote(r"outbound\|")
CLUSTERS_PATH = "clusters"
EXEC_WORKERS = 8
ADMIN_TIMEOUT = 10.0


def has_proxy(pod: Mapping[str, Any]) -> bool:
    containers = (pod.get("spec") or {}).get("containers") or []
    running = (pod.get("status") or {}).get("phase") == "Running"
    return running and any(c.get("name") == PROXY_CONTAINER for c in containers)


class Source(Protocol):
    label: str

    def fetch(self, pods: list[dict]) -> envoy_stats.ProxyClusters: ...

    def mirrors(self, pods: list[dict]) -> Mirrors: ...


def pilot_agent(api_client: client.ApiClient, pod: Mapping[str, Any], path: str) -> str:
    """`kubectl exec POD -c istio-proxy -- pilot-agent request GET PATH`'s output."""
    meta = pod["metadata"]
    argv = ["pilot-agent", "request", "GET", path]
    done = pod_exec.run(api_client, meta["namespace"], meta["name"], argv, PROXY_CONTAINER,
                        timeout=30.0)  # fmt: skip
    if done.code != 0:
        where = f"pod {meta['namespace']}/{meta['name']}"
        raise ClusterError(f"{where}: pilot-agent request GET {path}: {done.stderr.strip()}")
    return done.stdout


Mirrors = dict[str | None, set[str]]
MIRRORS_TTL = 10.0  # seconds a config dump's mirror targets are kept (the dump is large)


@dataclass
class _MirrorCache:
    value: Mirrors | None = None
    at: float = 0.0

    def get(self, load: Callable[[], Mirrors]) -> Mirrors:
        now = time.monotonic()
        if self.value is None or now - self.at > MIRRORS_TTL:
            self.value, self.at = load(), now
        return self.value


@dataclass
class ExecSource:
    api_client: client.ApiClient
    label: str = "pilot-agent request GET stats (exec in each istio-proxy)"
    _cache: _MirrorCache = field(default_factory=_MirrorCache)

    def _one(self, pod: Mapping[str, Any]) -> envoy_stats.ProxyClusters:
        pid = traffic_graph.proxy_id(pod)
        try:
            mine = envoy_stats.parse_stats(pilot_agent(self.api_client, pod, STATS_PATH))
            envoy_stats.parse_clusters(pilot_agent(self.api_client, pod, CLUSTERS_PATH), mine)
        except ClusterError:
            return {}  # a pod going away between the list and the exec: no edges from it
        return {pid: mine.get(None, {})}

    def fetch(self, pods: list[dict]) -> envoy_stats.ProxyClusters:
        with ThreadPoolExecutor(EXEC_WORKERS) as pool:
            return envoy_stats.merge(pool.map(self._one, [p for p in pods if has_proxy(p)]))

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


@dataclass
class AdminSource:
    admin_url: str
    label: str = "the local Envoy's admin, per sidecar"
    _cache: _MirrorCache = field(default_factory=_MirrorCache)

    def _get(self, path: str) -> str:
        url = f"{self.admin_url.rstrip('/')}/{path}"
        try:
            with urllib.request.urlopen(url, timeout=ADMIN_TIMEOUT) as resp:
                return resp.read().decode(errors="replace")
        except OSError as exc:
            raise ClusterError(f"the local Envoy's admin at {self.admin_url}: {exc}") from None

    def fetch(self, pods: list[dict]) -> envoy_stats.ProxyClusters:
        parsed = envoy_stats.parse_stats(self._get(STATS_PATH))
        return envoy_stats.parse_clusters(self._get(CLUSTERS_PATH), parsed)

    def mirrors(self, pods: list[dict]) -> Mirrors:
        return self._cache.get(
            lambda: envoy_stats.mirror_only_clusters(json.loads(self._get("config_dump")))
        )


def collect(objects: Objects, source: Source, namespace: str | None = None) -> Graph:
    """The traffic graph now, from every proxy (edges that start or end in `namespace`)."""
    pods = objects.list("v1", "Pod")
    stats = {k: v for k, v in source.fetch(pods).items() if k is not None}
    mirrors = {k: v for k, v in source.mirrors(pods).items() if k is not None}
    return traffic_graph.build(pods, stats, source.label, mirrors).only_namespace(namespace)


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
