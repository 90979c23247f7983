"""The Graph view's `K`: `istioctl dashboard kiali` from the view. Offline there is no cluster
to forward from; where Kiali is not installed the view says what the command says."""

from __future__ import annotations

from ui_data import SMALL

from istiotui.cluster.kind import ClusterKind
from istiotui.lab.dashboards import ADDONS, NotInstalled, missing_message
from istiotui.ui.screens.graph import GraphScreen


async def test_offline_there_is_no_cluster_to_forward_from(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, GraphScreen)
        await pilot.press("K")
        await pilot.pause()
        assert [(n.message, n.severity) for n in app.notices] == [("no cluster", "warning")]


async def test_kiali_not_installed_is_said_in_the_view(make_app) -> None:
    said = missing_message(ADDONS["kiali"], ClusterKind.LOCAL)

    def kiali() -> str:
        raise NotInstalled(said)

    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        screen = GraphScreen(None, "en", kiali=kiali)
        await app.push_screen(screen)
        await pilot.press("K")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [(n.message, n.severity) for n in app.notices] == [(said, "warning")]
        assert "Graph view (key g)" in said and not app.crashes
