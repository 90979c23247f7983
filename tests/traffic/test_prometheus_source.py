"""The Prometheus source against a real Prometheus (Debian's `prometheus`, `promtool`): fixed
Istio samples written into its storage by `promtool tsdb create-blocks-from openmetrics`, then
served on 127.0.0.1 and read through its query API as the graph reads the addon's."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator

import pytest

from istiotui import process_group
from istiotui.cluster.errors import ClusterError
from istiotui.cluster.prometheus import Preferred, PrometheusSource
from istiotui.mesh.traffic_graph import Workload

PROMETHEUS, PROMTOOL = shutil.which("prometheus"), shutil.which("promtool")
pytestmark = pytest.mark.skipif(
    PROMETHEUS is None or PROMTOOL is None,
    reason="prometheus/promtool not installed (Debian: apt-get install prometheus)",
)

PAGE = Workload("bookinfo", "productpage", "v1")
REVIEWS_V1 = Workload("bookinfo", "reviews", "v1")
INGRESS = Workload("istio-system", "istio-ingressgateway")


def _labels(instance: str, src: tuple[str, str, str], dest: tuple[str, str, str], code: str,
            flags: str = "-", reporter: str = "source") -> str:  # fmt: skip
    (s_ns, s_app, s_ver), (d_ns, d_app, d_ver) = src, dest
    pairs = {
        "instance": instance,
        "reporter": reporter,
        "source_workload": s_app,
        "source_workload_namespace": s_ns,
        "source_app": s_app,
        "source_version": s_ver,
        "destination_workload": d_app,
        "destination_workload_namespace": d_ns,
        "destination_app": d_app,
        "destination_version": d_ver,
        "destination_service": f"{d_app}.{d_ns}.svc.cluster.local",
        "response_code": code,
        "response_flags": flags,
    }
    return ",".join(f'{k}="{v}"' for k, v in pairs.items())


PAGE_LABELS = ("bookinfo", "productpage", "v1")
R1 = ("bookinfo", "reviews", "v1")
GW = ("istio-system", "istio-ingressgateway", "unknown")
# Two productpage replicas (two scraped instances) call reviews v1; one answer timed out.
SERIES = {
    _labels("10.0.0.1:15090", PAGE_LABELS, R1, "200"): 30,
    _labels("10.0.0.2:15090", PAGE_LABELS, R1, "200"): 10,
    _labels("10.0.0.2:15090", PAGE_LABELS, R1, "504", "UT"): 2,
    _labels("10.0.0.3:15090", GW, PAGE_LABELS, "200"): 42,
    # reviews' own report of productpage's requests: not counted again.
    _labels("10.0.0.4:15090", PAGE_LABELS, R1, "200", reporter="destination"): 40,
}
BOUNDS = ("1", "5", "10", "25", "+Inf")
# Per instance, for productpage → reviews v1 (200s): answers per bucket.
HISTOGRAMS = {
    _labels("10.0.0.1:15090", PAGE_LABELS, R1, "200"): (0, 10, 20, 0, 0),
    _labels("10.0.0.2:15090", PAGE_LABELS, R1, "200"): (0, 0, 0, 10, 0),
}


def _openmetrics(at: int) -> str:
    lines = ["# TYPE istio_requests counter"]
    lines += [f"istio_requests_total{{{labels}}} {n} {at}" for labels, n in SERIES.items()]
    lines.append("# TYPE istio_request_duration_milliseconds histogram")
    for labels, counts in HISTOGRAMS.items():
        total = 0
        for bound, n in zip(BOUNDS, counts, strict=True):
            total += n
            lines.append(
                f'istio_request_duration_milliseconds_bucket{{{labels},le="{bound}"}} {total} {at}'
            )
        lines.append(f"istio_request_duration_milliseconds_sum{{{labels}}} 300 {at}")
        lines.append(f"istio_request_duration_milliseconds_count{{{labels}}} {total} {at}")
    return "\n".join([*lines, "# EOF", ""])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("prometheus")
    data, source = root / "data", root / "samples.om"
    # A minute ago: inside the 5 minutes an instant query looks back over.
    source.write_text(_openmetrics(int(time.time()) - 60))
    assert PROMTOOL is not None and PROMETHEUS is not None
    made = subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(source),
                           str(data)], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert made.returncode == 0, made.stderr
    config = root / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1h\n")
    port = _free_port()
    log = (root / "prometheus.log").open("w")
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={data}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT, **process_group.spawn_options(die_with_parent=True),
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, (root / "prometheus.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "prometheus did not get ready"
            time.sleep(0.2)
        yield url
    finally:
        process_group.stop(proc)
        log.close()


def test_the_graph_from_prometheus(prometheus_url: str) -> None:
    source = PrometheusSource(lambda: prometheus_url, "test Prometheus")
    graph = source.graph([])
    assert graph.source == "istio_requests_total from Prometheus (test Prometheus)"
    by_pair = {(e.source, e.destination): e for e in graph.edges}
    assert set(by_pair) == {(PAGE, REVIEWS_V1), (INGRESS, PAGE)}
    edge = by_pair[PAGE, REVIEWS_V1]
    # Replicas added up (30 + 10 + 2), the timeouts are the 5xx and carry their flag.
    assert (edge.requests, edge.errors, edge.flags) == (42, 2, {"UT": 2})
    # Buckets added over instances: 10 in (1, 5], 20 in (5, 10], 10 in (10, 25]; the 20th of
    # 40 is half-way through (5, 10], the 39.6th is 96% through (10, 25].
    assert edge.p50_ms == pytest.approx(7.5)
    assert edge.p99_ms == pytest.approx(10 + 15 * 0.96)
    assert by_pair[INGRESS, PAGE].requests == 42
    assert {n.workload: n.kind for n in graph.nodes}[INGRESS] == "gateway"
    assert graph.proxies == 4  # instances that export istio_requests_total


def test_a_prometheus_that_does_not_answer_gives_way(prometheus_url: str) -> None:
    dead = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(ClusterError, match=re.escape(f"Prometheus at {dead}:")):
        PrometheusSource(lambda: dead).graph([])
    live = PrometheusSource(lambda: prometheus_url, "the live one")
    urls, now = [dead], [100.0]
    preferred = Preferred(PrometheusSource(lambda: urls[0], "the first"), live,
                          retry_s=15.0, clock=lambda: now[0])  # fmt: skip
    chosen = preferred.graph([])
    assert chosen.source.startswith("istio_requests_total from Prometheus (the live one) (")
    assert "Prometheus (the first) did not answer" in chosen.source
    assert len(chosen.edges) == 2
    # It answers now, but is asked again only once the retry delay has passed.
    urls[0] = prometheus_url
    now[0] = 110.0
    assert "the first) did not answer" in preferred.graph([]).source
    now[0] = 115.0
    again = preferred.graph([])
    assert again.source == "istio_requests_total from Prometheus (the first)"
    assert [(e.key, e.requests) for e in again.edges] == [(e.key, e.requests) for e in chosen.edges]


def test_a_bad_query_says_prometheus_why(prometheus_url: str) -> None:
    with pytest.raises(ClusterError, match="400"):
        PrometheusSource(lambda: prometheus_url).query("sum by (")
