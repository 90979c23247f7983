"""The Proxies screen at 80×24 on fixed data, no cluster: compared with the stored SVG snapshot.

The rows are what mesh/proxy_sync.py makes of an istiod's `/debug/syncz` answer (one proxy in
sync, one whose listeners are stale, one never acknowledged); reading them from a live istiod
is tested on the local cluster (tests/e2e/test_walk_explain.py).
"""

from __future__ import annotations

from textual.app import App
from ui_data import SMALL

from istiotui.mesh.proxy_sync import rows
from istiotui.ui.app import IstioTui
from istiotui.ui.screens.proxies import ProxyScreen, Tables

ISTIOD = "istiod-7d4c8b6f9-q2w3e.istio-system"


def syncz() -> list[dict[str, str]]:
    def entry(pod: str, listener_acked: str, route_acked: str) -> dict[str, str]:
        sent = {"cluster": "7", "listener": "9", "route": "5", "endpoint": "7"}
        acked = {**sent, "listener": listener_acked, "route": route_acked}
        out = {"proxy": pod, "istio_version": "1.24.2"}
        for kind in sent:
            out[f"{kind}_sent"], out[f"{kind}_acked"] = sent[kind], acked[kind]
        return out

    return [
        entry("productpage-v1-6b7f6d9b58-abcde.bookinfo", "9", "5"),
        entry("reviews-v2-5c9f7d7c8-xyz12.bookinfo", "8", "5"),
        entry("istio-egressgateway-6f8d9c7b5-k4l5m.istio-system", "9", ""),
    ]


class FixedProxies(ProxyScreen):
    """The screen with fixed rows instead of ones read from istiod."""

    def load_status(self) -> None:
        self.show(Tables("status", {"status": rows(syncz(), ISTIOD)}))


class Host(App[None]):
    CSS_PATH = IstioTui.CSS_PATH

    def on_mount(self) -> None:
        self.push_screen(FixedProxies(None))  # type: ignore[arg-type]  # no session: fixed rows


def test_proxy_status_tab_small(snap_compare) -> None:
    async def settled(pilot) -> None:
        for _ in range(5):
            await pilot.pause()

    assert snap_compare(Host(), terminal_size=SMALL, run_before=settled)
