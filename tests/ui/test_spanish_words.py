"""The Spanish app says in Spanish what the lower layers hand over with a key: the session's
notes and where the Graph's numbers came from; the CLI's English stays as it was."""

from __future__ import annotations

from textual.widgets._toast import Toast
from ui_data import LARGE, settle

from istiotui.cluster.kind import ClusterKind
from istiotui.lab.session import fallback_note, started_note
from istiotui.mesh.traffic_graph import Edge, Graph, Node, Workload
from istiotui.ui import messages as msg
from istiotui.ui.screens.graph import GraphScreen
from istiotui.ui.widgets.graph_table import GraphTable

URL = "https://127.0.0.1:33395"


def _toasts(app) -> list[str]:
    return [str(toast.render()) for toast in app.screen.query(Toast)]


def test_the_cli_keeps_its_english_notes() -> None:
    assert str(started_note(URL)) == (
        f"started the local cluster at {URL}; it keeps running — stop it with `istiotui local down`"
    )
    assert started_note(URL).text == str(started_note(URL))
    assert fallback_note("no answer").text == "no answer: using the local cluster instead"


async def test_a_started_local_cluster_is_said_in_spanish(make_app) -> None:
    app = make_app(lang="es")
    notes = (started_note(URL), fallback_note("kind-x no responde"))
    async with app.run_test(size=LARGE, notifications=True) as pilot:
        await settle(pilot)
        app.post_message(
            msg.ClusterConnected("istiotui-local", ClusterKind.LOCAL, URL, "v1.32.0", notes)
        )
        await settle(pilot)
        shown = " ".join(_toasts(app))
        assert f"clúster local arrancado en {URL}; sigue en marcha" in shown, shown
        assert "páralo con `istiotui local down`" in shown
        assert "kind-x no responde: se usa el clúster local en su lugar" in shown
        assert "started the local cluster" not in shown


def _graph() -> Graph:
    page, details = Workload("bookinfo", "productpage", "v1"), Workload("bookinfo", "details")
    edges = (Edge(page, details, 30, 0, 1.6, 4.9),)
    nodes = (Node(page, "workload"),)
    return Graph(nodes, edges, "the local Envoy's admin, per sidecar", 9, "source.admin")


async def test_the_graphs_source_and_headers_follow_the_language(make_app) -> None:
    app = make_app(lang="es")
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        screen = GraphScreen(None, "es")
        await app.push_screen(screen)
        await settle(pilot)
        screen.show(_graph(), 100.0)
        await settle(pilot)
        title = str(screen.query_one("#graph-title").render())
        table = screen.query_one(GraphTable)
        headers = [str(c.label) for c in table.columns.values()]
        assert "la interfaz admin del Envoy local, por sidecar · 9 proxies" in title, title
        assert "the local Envoy" not in title
        assert headers == ["ARISTA", "RPS", "5XX", "P50", "P99", "MARCAS"]
        await pilot.press("L")  # to English: the title and the headers follow, the rows stay
        await settle(pilot)
        title = str(screen.query_one("#graph-title").render())
        headers = [str(c.label) for c in table.columns.values()]
        assert "the local Envoy's admin, per sidecar · 9 proxies" in title, title
        assert headers == ["EDGE", "RPS", "5XX", "P50", "P99", "FLAGS"]
        assert table.row_count == 1 and table.selected is not None
