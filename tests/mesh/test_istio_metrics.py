"""Istio's request metrics in Prometheus text (as an Istio proxy's `stats/prometheus` prints
them) read into the graph's edges: fixed text in, edges derived from it."""

from __future__ import annotations

import pytest

from istiotui.mesh.istio_metrics import (
    MetricsError,
    Sample,
    from_query,
    graph_of,
    has_istio_stats,
    parse,
    quantile,
)
from istiotui.mesh.traffic_graph import Workload

PAGE = Workload("bookinfo", "productpage", "v1")
INGRESS = Workload("istio-system", "istio-ingressgateway")
FORTIO = Workload("default", "fortio")
HTTPBIN = Workload("default", "httpbin", "v1")


def _labels(src: str, dest: str, code: str, flags: str = "-", reporter: str = "source") -> str:
    """Labels as Istio sets them: `ns/app/version` (`-` for unknown) of each end."""
    s_ns, s_app, s_ver = src.split("/")
    parts = {
        "reporter": reporter,
        "source_workload": f"{s_app}-{s_ver}" if s_ver != "-" else s_app,
        "source_workload_namespace": s_ns,
        "source_app": s_app,
        "source_version": s_ver if s_ver != "-" else "unknown",
        "source_canonical_service": s_app,
    }
    if dest.count("/") == 2:
        d_ns, d_app, d_ver = dest.split("/")
        parts |= {
            "destination_workload": f"{d_app}-{d_ver}",
            "destination_workload_namespace": d_ns,
            "destination_app": d_app,
            "destination_version": d_ver,
            "destination_service": f"{d_app}.{d_ns}.svc.cluster.local",
        }
    else:  # no workload answered: the service (or host) only
        parts |= {
            "destination_workload": "unknown",
            "destination_workload_namespace": "unknown",
            "destination_app": "unknown",
            "destination_version": "unknown",
            "destination_service": dest,
        }
    parts |= {"response_code": code, "response_flags": flags, "request_protocol": "http"}
    return ",".join(f'{k}="{v}"' for k, v in parts.items())


BOUNDS = ("0.5", "1", "5", "10", "25", "50", "100", "250", "+Inf")


def _histogram(labels: str, counts: tuple[int, ...]) -> str:
    """Cumulative buckets, as Envoy prints them, for the per-bucket counts given."""
    lines, total = [], 0
    for bound, n in zip(BOUNDS, counts, strict=True):
        total += n
        lines.append(f'istio_request_duration_milliseconds_bucket{{{labels},le="{bound}"}} {total}')
    lines.append(f"istio_request_duration_milliseconds_sum{{{labels}}} 123.5")
    lines.append(f"istio_request_duration_milliseconds_count{{{labels}}} {total}")
    return "\n".join(lines)


PAGE_REVIEWS_V1 = _labels("bookinfo/productpage/v1", "bookinfo/reviews/v1", "200")
PAGE_REVIEWS_V2 = _labels("bookinfo/productpage/v1", "bookinfo/reviews/v2", "200")
PAGE_REVIEWS_V2_503 = _labels("bookinfo/productpage/v1", "bookinfo/reviews/v2", "503", "UT")
INGRESS_PAGE = _labels("istio-system/istio-ingressgateway/-", "bookinfo/productpage/v1", "200")
FORTIO_UO = _labels("default/fortio/-", "httpbin.default.svc.cluster.local", "503", "UO")
FORTIO_OK = _labels("default/fortio/-", "default/httpbin/v1", "200")
NO_ROUTE = _labels("default/fortio/-", "nowhere.example.com", "404", "NR")
FAULT = _labels("bookinfo/productpage/v1", "bookinfo/ratings/v1", "500", "FI")
DELAY_DC = _labels("bookinfo/productpage/v1", "bookinfo/ratings/v1", "0", "DI,DC")
INBOUND = _labels("bookinfo/productpage/v1", "bookinfo/reviews/v1", "200", reporter="destination")

TEXT = "\n".join(
    [
        "# TYPE envoy_cluster_upstream_rq_total counter",
        'envoy_cluster_upstream_rq_total{cluster_name="xds-grpc"} 12',
        "# TYPE istio_build gauge",
        'istio_build{component="proxy",tag="1.24.2"} 1',
        "# TYPE istio_requests_total counter",
        f"istio_requests_total{{{PAGE_REVIEWS_V1}}} 30",
        f"istio_requests_total{{{PAGE_REVIEWS_V2}}} 28",
        f"istio_requests_total{{{PAGE_REVIEWS_V2_503}}} 2",
        f"istio_requests_total{{{INGRESS_PAGE}}} 60",
        f"istio_requests_total{{{FORTIO_UO}}} 19",
        f"istio_requests_total{{{FORTIO_OK}}} 11",
        f"istio_requests_total{{{NO_ROUTE}}} 4",
        f"istio_requests_total{{{FAULT}}} 3",
        f"istio_requests_total{{{DELAY_DC}}} 1",
        f"istio_requests_total{{{INBOUND}}} 30",
        "# TYPE istio_request_duration_milliseconds histogram",
        _histogram(PAGE_REVIEWS_V1, (0, 0, 10, 10, 10, 0, 0, 0, 0)),
        _histogram(PAGE_REVIEWS_V2, (0, 0, 0, 14, 14, 0, 0, 0, 0)),
        _histogram(PAGE_REVIEWS_V2_503, (0, 0, 0, 0, 0, 0, 0, 2, 0)),
        _histogram(INBOUND, (30, 0, 0, 0, 0, 0, 0, 0, 0)),
        "istio_requests_total_extra_thing 5",
    ]
)


def test_the_two_metrics_are_read_and_nothing_else() -> None:
    samples = parse(TEXT)
    names = {s.name for s in samples}
    assert names == {"istio_requests_total", "istio_request_duration_milliseconds_bucket"}
    assert sum(s.value for s in samples if s.name == "istio_requests_total") == 188
    first = samples[0]
    assert first.labels["destination_app"] == "reviews" and first.labels["reporter"] == "source"
    assert has_istio_stats(TEXT)
    assert not has_istio_stats('envoy_cluster_upstream_rq_total{cluster_name="x"} 3\n')


def test_label_values_with_escapes_and_spaces() -> None:
    text = 'istio_requests_total{a="x\\"y", b="back\\\\slash",c="new\\nline",} 7 1700000000\n'
    (sample,) = parse(text)
    assert sample.labels == {"a": 'x"y', "b": "back\\slash", "c": "new\nline"}
    assert sample.value == 7


@pytest.mark.parametrize(
    "line",
    ['istio_requests_total{a="open} 3', "istio_requests_total{a=b} 3", "istio_requests_total 3x"],
)
def test_a_broken_line_names_its_number(line: str) -> None:
    with pytest.raises(MetricsError, match="line 2"):
        parse("# a comment\n" + line)


def test_edges_by_workload_with_errors_flags_and_percentiles() -> None:
    g = graph_of(parse(TEXT), "test", 2)
    by_pair = {(e.source, e.destination): e for e in g.edges}
    r1 = by_pair[PAGE, Workload("bookinfo", "reviews", "v1")]
    assert (r1.requests, r1.errors, r1.flags) == (30, 0, {})
    # 10 answers in (1, 5], 10 in (5, 10], 10 in (10, 25]: the 15th is half-way through (5, 10].
    assert r1.p50_ms == pytest.approx(7.5)
    # The 29.7th of 30 is 98% through the last bucket: 10 + 15 × 0.97.
    assert r1.p99_ms == pytest.approx(10 + 15 * 0.97)
    r2 = by_pair[PAGE, Workload("bookinfo", "reviews", "v2")]
    # The 503s' histogram adds to the 200s': 14 + 14 + 2 over three buckets.
    assert (r2.requests, r2.errors, r2.flags) == (30, 2, {"UT": 2})
    assert r2.p50_ms == pytest.approx(10.0 + 15 * (15 - 14) / 14)
    assert r2.p99_ms == pytest.approx(100 + 150 * (29.7 - 28) / 2)
    # The ingress gateway is a source like any other (its version unknown: empty).
    gateway = by_pair[INGRESS, PAGE]
    assert gateway.requests == 60 and gateway.p50_ms is None  # no histogram given for it
    kinds = {n.workload: n.kind for n in g.nodes}
    assert kinds[INGRESS] == "gateway"
    # Overflowed requests reached no workload: the service's node carries them and the flag.
    overflow = by_pair[FORTIO, Workload("default", "httpbin")]
    assert (overflow.requests, overflow.errors, overflow.flags) == (19, 19, {"UO": 19})
    assert kinds[Workload("default", "httpbin")] == "service"
    assert by_pair[FORTIO, HTTPBIN].requests == 11
    no_route = by_pair[FORTIO, Workload("", "nowhere.example.com")]
    assert (no_route.requests, no_route.errors, no_route.flags) == (4, 0, {"NR": 4})
    assert kinds[Workload("", "nowhere.example.com")] == "external"
    ratings = by_pair[PAGE, Workload("bookinfo", "ratings", "v1")]
    assert (ratings.requests, ratings.errors) == (4, 3)
    assert ratings.flags == {"FI": 3, "DI": 1, "DC": 1}
    # The destination's own report of the same requests is not counted again.
    assert sum(e.requests for e in g.edges) == 158
    assert g.source == "test" and g.proxies == 2


def test_quantiles_of_edge_cases() -> None:
    assert quantile(0.5, {}) is None
    assert quantile(0.5, {1.0: 0.0, float("inf"): 0.0}) is None
    # Everything above the last finite bound: that bound is the answer.
    assert quantile(0.99, {10.0: 0.0, float("inf"): 5.0}) == 10.0
    assert quantile(0.5, {2.0: 4.0, float("inf"): 4.0}) == pytest.approx(1.0)


def test_a_prometheus_query_answer() -> None:
    answer = {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {"metric": {"reporter": "source", "source_app": "a", "source_workload_namespace":
                            "n", "destination_app": "b", "destination_workload_namespace": "n",
                            "response_code": "503", "response_flags": "UH"},
                 "value": [1700000000.0, "6"]},
            ],
        },
    }  # fmt: skip
    samples = from_query(answer, "istio_requests_total")
    labels = answer["data"]["result"][0]["metric"]  # type: ignore[index]
    assert samples == [Sample("istio_requests_total", dict(labels), 6.0)]
    (edge,) = graph_of(samples, "p", 0).edges
    assert (edge.source.app, edge.destination.app, edge.errors, edge.flags) == (
        "a",
        "b",
        6,
        {"UH": 6},
    )
    with pytest.raises(MetricsError, match="Prometheus answered error: bad query"):
        from_query({"status": "error", "error": "bad query"}, "istio_requests_total")
    broken = {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"source_app": "a"}, "value": [1700000000.0, "x"]}]}}  # fmt: skip
    # The sample is named by its metric and labels (a query answer has no line to point at).
    with pytest.raises(MetricsError, match=r"istio_requests_total\{source_app=\"a\"\}: 'x' is not"):
        from_query(broken, "istio_requests_total")
