"""The traffic graph from the Prometheus addon: `istio_requests_total` and the request-duration
histogram, summed over the scraped proxies by its query API.

Istio's samples/addons Prometheus (Service `prometheus` in istio-system, port 9090) scrapes every
proxy's `stats/prometheus`; one query answers for the whole mesh instead of an exec per pod. Its
numbers lag the proxies by a scrape interval (15 s in the addon), and a Prometheus that has
scraped nothing yet (Kiali's empty graph) gives way to the proxies themselves (`Preferred`).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from istiotui.cluster.errors import ClusterError
from istiotui.cluster.proxy_stats import Source
from istiotui.mesh import istio_metrics
from istiotui.mesh.istio_metrics import DURATION, REQUESTS, MetricsError, Sample
from istiotui.mesh.traffic_graph import Graph

NAMESPACE, SERVICE, PORT = "istio-system", "prometheus", 9090
TIMEOUT = 10.0
RETRY_S = 15.0  # the addon's scrape interval: sooner, an empty Prometheus is still empty
# The labels an edge is made of (mesh.istio_metrics reads them); the rest (pod, instance, …)
# are summed away.
BY = ("reporter", "source_workload", "source_workload_namespace", "source_app", "source_version",
      "source_canonical_service", "destination_workload", "destination_workload_namespace",
      "destination_app", "destination_version", "destination_canonical_service",
      "destination_service", "destination_service_name", "destination_service_namespace",
      "response_code", "response_flags")  # fmt: skip


def queries() -> dict[str, str]:
    by = ", ".join(BY)
    return {
        REQUESTS: f'sum by ({by}) ({REQUESTS}{{reporter="source"}})',
        DURATION + "_bucket": f'sum by ({by}, le) ({DURATION}_bucket{{reporter="source"}})',
        "proxies": f"count(count by (instance) ({REQUESTS}))",
    }


@dataclass
class PrometheusSource:
    url: Callable[[], str]  # Prometheus' base URL (a port-forward's, opened when first asked)
    where: str = f"{NAMESPACE}/{SERVICE}"

    @property
    def label(self) -> str:
        return f"istio_requests_total from Prometheus ({self.where})"

    def query(self, promql: str) -> dict:
        base = self.url().rstrip("/")
        url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            try:  # Prometheus says why in its JSON body (a bad query: 400)
                why = json.loads(exc.read()).get("error") or exc.reason
            except ValueError:
                why = exc.reason
            raise ClusterError(f"Prometheus at {base}: {exc.code} {why}") from None
        except (OSError, ValueError) as exc:
            raise ClusterError(f"Prometheus at {base}: {exc}") from None

    def samples(self) -> tuple[list[Sample], int]:
        """Istio's request samples summed per edge's labels, and how many proxies reported."""
        found: list[Sample] = []
        proxies = 0
        try:
            for name, promql in queries().items():
                answer = self.query(promql)
                if name == "proxies":
                    counted = istio_metrics.from_query(answer, name)
                    proxies = int(counted[0].value) if counted else 0
                else:
                    found += istio_metrics.from_query(answer, name)
        except MetricsError as exc:
            raise ClusterError(f"Prometheus ({self.where}): {exc}") from None
        return found, proxies

    def graph(self, pods: list[dict]) -> Graph:
        samples, proxies = self.samples()
        graph = istio_metrics.graph_of(samples, self.label, proxies)
        fields = (("where", self.where),)
        return replace(graph, source_key="source.prometheus", source_fields=fields)


@dataclass
class Preferred:
    """Prometheus when it answers with requests, else the proxies themselves (and the label says
    why). After a miss Prometheus is asked again only `retry_s` later: a refresh a second must
    not wait on a Prometheus that hangs, and sources that alternate would make the view's rates
    jump between two clocks (the addon's scrapes lag the proxies)."""

    prometheus: PrometheusSource
    fallback: Source
    retry_s: float = RETRY_S
    clock: Callable[[], float] = time.monotonic
    _missed: tuple[float, str] | None = field(default=None, init=False, repr=False)

    @property
    def label(self) -> str:
        return f"{self.prometheus.label}, else {self.fallback.label}"

    def graph(self, pods: list[dict]) -> Graph:
        now = self.clock()
        if self._missed is not None and now - self._missed[0] < self.retry_s:
            why = self._missed[1]
        else:
            try:
                graph = self.prometheus.graph(pods)
            except ClusterError as exc:
                why = f"Prometheus ({self.prometheus.where}) did not answer: {exc}"
            else:
                if graph.edges:
                    self._missed = None
                    return graph
                why = f"Prometheus ({self.prometheus.where}) has no istio_requests_total yet"
            self._missed = (now, why)
        from_proxies = self.fallback.graph(pods)
        return Graph(from_proxies.nodes, from_proxies.edges, f"{from_proxies.source} ({why})",
                     from_proxies.proxies)  # fmt: skip
