"""The graph's arithmetic over snapshots (the parsing of Envoy's answers is tested against the
real Envoy in tests/e2e)."""

from __future__ import annotations

from istiotui.mesh.traffic_graph import Edge, Graph, Node, Workload, delta, find, rates, table

PAGE = Workload("bookinfo", "productpage", "v1")
R1, R2 = Workload("bookinfo", "reviews", "v1"), Workload("bookinfo", "reviews", "v2")
FORTIO, HTTPBIN = Workload("default", "fortio"), Workload("default", "httpbin", "v1")


def graph(*edges: Edge) -> Graph:
    nodes = tuple(
        Node(w, "workload") for w in sorted({x for e in edges for x in (e.source, e.destination)})
    )
    return Graph(nodes, edges, "test", 3)


def test_delta_keeps_what_grew_and_the_flags_gained() -> None:
    before = graph(Edge(PAGE, R1, 10, 0, 1, 2), Edge(FORTIO, HTTPBIN, 20, 5, 1, 2, {"UO": 5}))
    after = graph(
        Edge(PAGE, R1, 10, 0, 1, 2),
        Edge(PAGE, R2, 4, 0, 1, 2),
        Edge(FORTIO, HTTPBIN, 50, 12, 1, 2, {"UO": 12}),
    )
    added = delta(after, before)
    assert [(e.destination, e.requests, e.errors, e.flags) for e in added.edges] == [
        (R2, 4, 0, {}),
        (HTTPBIN, 30, 7, {"UO": 7}),
    ]
    assert {n.workload for n in added.nodes} == {PAGE, R2, FORTIO, HTTPBIN}


def test_a_restarted_proxy_counts_from_zero() -> None:
    added = delta(graph(Edge(PAGE, R1, 3, 0, 1, 2)), graph(Edge(PAGE, R1, 40, 0, 1, 2)))
    assert added.edges[0].requests == 3


def test_rates_and_finding_edges_by_app_and_version() -> None:
    before = graph(Edge(PAGE, R1, 10, 0, 1, 2))
    after = graph(Edge(PAGE, R1, 30, 0, 1, 2), Edge(PAGE, R2, 5, 0, 1, 2))
    assert rates(after, before, 2.0) == {(PAGE, R1, False): 10.0, (PAGE, R2, False): 2.5}
    assert rates(after, None, 2.0) == {}
    assert [e.destination for e in find(after, "productpage", "reviews")] == [R1, R2]
    assert [e.destination for e in find(after, "productpage/v1", "reviews/v2")] == [R2]
    assert find(after, "reviews", "ratings") == []


def test_namespace_filter_and_the_table() -> None:
    g = graph(Edge(PAGE, R1, 10, 1, 1.5, 20.0), Edge(FORTIO, HTTPBIN, 4, 4, None, None, {"UO": 4}))
    only = g.only_namespace("default")
    assert [e.source for e in only.edges] == [FORTIO]
    lines = table(g).splitlines()
    assert lines[0].split() == [
        "SOURCE",
        "DESTINATION",
        "REQUESTS",
        "RPS",
        "5XX",
        "P50",
        "P99",
        "FLAGS",
    ]
    assert lines[1].split() == ["productpage.bookinfo", "v1", "reviews.bookinfo", "v1", "10", "-",
                                "10.0%", "1.5ms", "20ms", "-"]  # fmt: skip
    assert lines[2].split()[-4:] == ["100.0%", "-", "-", "UO:4"]
    assert g.to_json()["edges"][1]["flags"] == {"UO": 4}
