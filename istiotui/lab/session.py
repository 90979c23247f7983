"""A connected lab session: the cluster's objects, its kind, and where probes leave from."""

from __future__ import annotations

from dataclasses import dataclass, field

from istiotui.cluster import prometheus, proxy_stats
from istiotui.cluster.connection import Connection
from istiotui.cluster.errors import ClusterError
from istiotui.cluster.kind import ClusterKind
from istiotui.cluster.objects import Objects
from istiotui.lab import model as m
from istiotui.mesh.traffic_graph import Graph
from istiotui.traffic.vantage import Vantages, VantageUnavailable


@dataclass(frozen=True)
class Note:
    """One thing the user must be told about the session: `text` is the English the CLI prints;
    `key` and `fields` let the app say it in its own language (`lab.words`, `note.KEY`)."""

    key: str
    text: str
    fields: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return self.text


def started_note(url: str) -> Note:
    stop = "stop it with `istiotui local down`"
    return Note("note.started", f"started the local cluster at {url}; it keeps running — {stop}",
                (("url", url),))  # fmt: skip


def fallback_note(reason: str) -> Note:
    return Note(
        "note.fallback", f"{reason}: using the local cluster instead", (("reason", reason),)
    )


@dataclass
class Session:
    connection: Connection
    objects: Objects
    cluster: ClusterKind
    vantages: Vantages
    # What the user must be told about how this session came to be (a local cluster started
    # that keeps running, a fallback from an unanswering cluster): commands print these, the
    # app shows them.
    notes: list[Note] = field(default_factory=list)
    envoy_admin: str | None = None  # the local cluster's one Envoy (None on a real cluster)
    proxy_log: proxy_stats.ProxyLog | None = None  # the local proxies' access logs, on disk
    _graph_source: proxy_stats.Source | None = field(default=None, init=False, repr=False)

    def count_log_lines(self, source: m.LogSource) -> int:
        dep = self.objects.get("apps/v1", "Deployment", source.deployment, source.namespace)
        if dep is None:
            return 0
        labels = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        selector = ",".join(f"{k}={v}" for k, v in labels.items())
        total = 0
        for pod in self.objects.list("v1", "Pod", source.namespace, selector):
            text = self.objects.logs(source.namespace, pod["metadata"]["name"], source.container)
            total += sum(1 for line in text.splitlines() if line.strip())
        return total

    def graph_source(self) -> proxy_stats.Source:
        """The local Envoy's admin when there is one (one request for every proxy); else the
        Prometheus addon when its Service is there (while it has requests), else each pod's
        istio-proxy through exec. Kept: the sources remember what they learnt (mirror targets,
        plain Envoys, the port-forward)."""
        if self._graph_source is None:
            self._graph_source = self._choose_graph_source()
        return self._graph_source

    def _choose_graph_source(self) -> proxy_stats.Source:
        if self.envoy_admin:
            return proxy_stats.AdminSource(self.envoy_admin, self.proxy_log)
        by_exec = proxy_stats.ExecSource(self.connection.api_client)
        ns, name, port = prometheus.NAMESPACE, prometheus.SERVICE, prometheus.PORT
        try:
            svc = self.objects.get("v1", "Service", name, ns)
        except ClusterError:
            svc = None
        if svc is None:
            return by_exec

        def url() -> str:
            try:
                return self.vantages.port_forward_target(ns, name, port).base_url
            except VantageUnavailable as exc:
                raise ClusterError(str(exc)) from None

        where = f"{ns}/{name} through a port-forward"
        return prometheus.Preferred(prometheus.PrometheusSource(url, where), by_exec)

    def graph(self, namespace: str | None = None) -> Graph:
        return proxy_stats.collect(self.objects, self.graph_source(), namespace)

    def stat(self, namespace: str, selector: str, name: str) -> int | None:
        """A statistic added up over the selected pods' proxies (`pilot-agent request GET
        stats` in each, on every kind of cluster)."""
        pods = [p for p in self.objects.list("v1", "Pod", namespace, selector or None)
                if proxy_stats.has_proxy(p)]  # fmt: skip
        return proxy_stats.stat_total(self.connection.api_client, pods, name)

    def close(self) -> None:
        self.vantages.close()  # port-forward listeners, on a real cluster
        self.connection.close()
