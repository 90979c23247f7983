"""The Graph view at fixed sizes on fixed data (two snapshots a second apart), and its keys."""

from __future__ import annotations

from ui_data import LARGE, SMALL, settle

from istiotui.mesh.traffic_graph import Edge, Graph, Node, Workload
from istiotui.ui.screens.graph import GraphScreen
from istiotui.ui.widgets.graph_table import GraphTable

SOURCE = "the local Envoy's admin, per sidecar"
PAGE = Workload("bookinfo", "productpage", "v1")
INGRESS = Workload("istio-system", "istio-ingressgateway")
FORTIO = Workload("default", "fortio")
HTTPBIN = Workload("default", "httpbin", "v1")
HTTPBIN_V2 = Workload("default", "httpbin", "v2")
CURL = Workload("default", "curl")


def _graph(scale: int) -> Graph:
    """Bookinfo, the circuit breaker and the mirror as the proxies would count them."""

    def reviews(v: str, n: int) -> Edge:
        return Edge(PAGE, Workload("bookinfo", "reviews", v), n * scale, 0, 4.2, 11.0)

    edges = (
        Edge(INGRESS, PAGE, 30 * scale, 0, 18.0, 52.0),
        Edge(PAGE, Workload("bookinfo", "details", "v1"), 30 * scale, 0, 1.6, 4.9),
        reviews("v1", 10), reviews("v2", 9), reviews("v3", 11),
        Edge(Workload("bookinfo", "reviews", "v2"), Workload("bookinfo", "ratings", "v1"),
             9 * scale, 0, 1.1, 3.0),
        Edge(FORTIO, HTTPBIN, 30 * scale, 19 * scale, 0.9, 6.5, {"UO": 19 * scale}),
        Edge(CURL, HTTPBIN, 10 * scale, 0, 2.0, 5.0),
        Edge(CURL, HTTPBIN_V2, 10 * scale, 0, 2.2, 5.5, mirrored=True),
    )  # fmt: skip
    nodes = tuple(Node(w, "workload") for w in sorted({e.source for e in edges}))
    return Graph(nodes, edges, SOURCE, 9)


async def _shown(pilot) -> None:
    await settle(pilot)
    screen = GraphScreen(None, "en")
    await pilot.app.push_screen(screen)
    await settle(pilot)
    screen.show(_graph(1), 100.0)
    screen.show(_graph(2), 101.0)  # a second later: every edge doubled
    await pilot.press("j", "j", "j", "j", "j", "j")  # down to fortio → httpbin
    await settle(pilot)


def test_graph_view_small(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=_shown)


def test_graph_view_large(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=LARGE, run_before=_shown)


async def test_keys_move_between_edges_and_the_detail_follows(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press("g")  # the app's binding opens the view (offline: no numbers yet)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        screen.show(_graph(1), 0.0)
        screen.show(_graph(3), 2.0)
        table = screen.query_one(GraphTable)
        await pilot.press("j", "j")
        assert table.selected is not None and table.selected.destination.app == "reviews"
        await pilot.press("k")
        assert table.selected.destination.app == "details"
        assert screen.rates is not None and screen.rates[table.selected.key] == 30.0
        detail = str(screen.query_one("#graph-detail").render())
        assert "requests 90" in detail and "rps 30.00" in detail
        # A refresh keeps the cursor on its edge; edges fewer than before do not lose it.
        screen.show(_graph(4), 3.0)
        assert table.selected.destination.app == "details"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, GraphScreen)


async def test_a_long_header_wraps_at_80_columns_instead_of_being_cut(make_app) -> None:
    from dataclasses import replace

    from textual.geometry import Region
    from textual.widgets import Static

    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = GraphScreen(None, "en", namespace="bookinfo")
        await pilot.app.push_screen(screen)
        await settle(pilot)
        # A real cluster's source, read through exec: the longest header the view writes.
        source = "pilot-agent request GET stats (exec in each istio-proxy)"
        screen.show(replace(_graph(1), source=source), 0.0)
        await settle(pilot)
        title = screen.query_one("#graph-title", Static)
        width, height = title.outer_size
        assert height > 1
        shown = " ".join(s.text.strip() for s in title.render_lines(Region(0, 0, width, height)))
        assert shown == f"Graph · ns bookinfo · {source} · 9 proxies · totals since start"


async def test_a_failed_read_is_said_in_the_title_as_written(make_app) -> None:
    """The reason shows as the cluster wrote it (brackets included, never taken for markup),
    and an exception without words still says which it was."""
    failing: list[Exception] = [ValueError("stats of [default/httpbin] [/x]: not a number")]

    def fetch() -> Graph:
        raise failing[0]  # every read, the interval's included, meets the same

    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        screen = GraphScreen(fetch, "en")
        await pilot.app.push_screen(screen)
        await app.workers.wait_for_complete()
        await settle(pilot)
        title = str(screen.query_one("#graph-title").render())
        assert title == "Graph · stats of [default/httpbin] [/x]: not a number"
        failing[0] = TimeoutError()
        await app.workers.wait_for_complete()  # a read begun before the change ends first
        screen.tick()  # the next read now, not a second later
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert str(screen.query_one("#graph-title").render()) == "Graph · TimeoutError"
