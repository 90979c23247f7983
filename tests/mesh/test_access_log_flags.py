"""Route-level response flags from access-log lines in the local cluster's format (fixed lines
in; per-cluster flags and the graph's edges derived from them)."""

from __future__ import annotations

from istiotui.mesh.access_log import add_lines, unrouted_cluster
from istiotui.mesh.envoy_stats import ClusterStats, add_route_flags
from istiotui.mesh.traffic_graph import Workload, build

RATINGS = "outbound|9080||ratings.bookinfo.svc.cluster.local"


def line(code: int, flags: str, details: str, authority: str, cluster: str) -> str:
    """One line as local/pilot/filters.py's ACCESS_LOG_FORMAT lays it out."""
    return (
        f'[2026-12-07T17:00:00.000Z] "GET /ratings/0 HTTP/1.1" {code} {flags} {details} - "-" '
        f'0 18 3 - "-" "Apache-CXF/3.1.18" "5f0c-11" "{authority}" "-" {cluster} - '
        "10.96.0.5:9080 127.10.0.7:45678 - -"
    )


LOG = "\n".join(
    [
        line(500, "FI", "fault_filter_abort", "ratings:9080", RATINGS),
        line(500, "FI", "fault_filter_abort", "ratings:9080", RATINGS),
        line(200, "DI", "via_upstream", "ratings:9080", RATINGS),
        line(0, "DI,DC", "downstream_remote_disconnect", "ratings:9080", RATINGS),
        line(404, "NR", "route_not_found", "nowhere.example.com", "-"),
        line(503, "UO", "overflow", "ratings:9080", RATINGS),  # a cluster counter has it
        line(200, "-", "via_upstream", "ratings:9080", RATINGS),
        line(0, "DC", "downstream_remote_disconnect", "reviews:9080", "inbound|9080||"),
        'a line that is "not" an access log line',
    ]
)


def test_flags_per_cluster_and_the_requests_never_sent() -> None:
    found = add_lines(LOG, {})
    assert set(found) == {RATINGS, "outbound|80||nowhere.example.com"}
    ratings = found[RATINGS]
    assert ratings.flags == {"FI": 2, "DI": 2, "DC": 1}
    assert (ratings.local, ratings.local_errors) == (2, 2)
    unrouted = found["outbound|80||nowhere.example.com"]
    assert (unrouted.flags, unrouted.local, unrouted.local_errors) == ({"NR": 1}, 1, 0)
    # Read on: the counts add up.
    add_lines(LOG, found)
    assert found[RATINGS].flags["FI"] == 4


def test_unrouted_hosts_keep_their_port() -> None:
    assert unrouted_cluster("reviews:9080") == "outbound|9080||reviews"
    assert unrouted_cluster("example.com") == "outbound|80||example.com"


def test_the_graph_carries_the_flags_and_the_aborted_requests() -> None:
    pods = [
        {"metadata": {"name": "reviews-v2-1", "namespace": "bookinfo",
                      "labels": {"app": "reviews", "version": "v2"}},
         "status": {"podIP": "127.10.0.7"}},
        {"metadata": {"name": "ratings-v1-1", "namespace": "bookinfo",
                      "labels": {"app": "ratings", "version": "v1"}},
         "status": {"podIP": "127.10.0.9"}},
    ]  # fmt: skip
    sent = ClusterStats(RATINGS, counters={"upstream_rq_2xx": 6},
                        hosts={"127.10.0.9": {"rq_total": 6, "rq_error": 0}})  # fmt: skip
    stats = {"reviews-v2-1.bookinfo": {RATINGS: sent}}
    found = add_lines(LOG, {})
    add_route_flags(stats, "reviews-v2-1.bookinfo", found)  # type: ignore[arg-type]
    graph = build(pods, stats, "test")
    edges = {e.destination: e for e in graph.edges}
    ratings = edges[Workload("bookinfo", "ratings", "v1")]
    # 6 sent and answered, 2 aborted by the proxy (500s): one destination, one edge.
    assert (ratings.requests, ratings.errors) == (8, 2)
    assert ratings.flags == {"FI": 2, "DI": 2, "DC": 1}
    unrouted = edges[Workload("", "nowhere.example.com")]
    assert (unrouted.requests, unrouted.errors, unrouted.flags) == (1, 0, {"NR": 1})
    assert {n.workload: n.kind for n in graph.nodes}[unrouted.destination] == "external"
