"""The Explain screen at 80×24 shows every character: its head line and the manifest's path wrap.

The explanation is a fixed one (the lab's own bookinfo VirtualService and its manifest's
file:line), rendered by the command's own text renderer; the walk over a live proxy is tested on
the local cluster (tests/e2e/test_walk_explain.py).
"""

from __future__ import annotations

from textual.app import App
from textual.widgets import Static
from ui_data import SMALL

from istiotui.lab import model as m
from istiotui.mesh.explain import Explanation, Request
from istiotui.mesh.explain.render import as_text
from istiotui.ui.app import IstioTui
from istiotui.ui.screens.explain import ExplainScreen, ExplainTarget

GATEWAY_POD = "istio-system/istio-ingressgateway-5c8d7b9f64-x2k9q"


def bookinfo_source(lab: m.Lab) -> str:
    for step in lab.steps():
        for action in step.actions:
            manifest = getattr(action, "manifest", None)
            for obj in manifest.objects if manifest is not None else ():
                if obj.kind == "VirtualService" and obj.body["metadata"]["name"] == "bookinfo":
                    return str(obj.source)
    raise AssertionError("the lab applies no bookinfo VirtualService")


class FixedExplain(ExplainScreen):
    """The screen with a fixed explanation instead of one read from a proxy."""

    text = ""

    def run_explain(self, send_too: bool) -> None:
        self.query_one("#explain-out", Static).update(self.text)


class Host(App[None]):
    CSS_PATH = IstioTui.CSS_PATH

    def __init__(self, screen: ExplainScreen) -> None:
        super().__init__()
        self.shown = screen

    def on_mount(self) -> None:
        self.push_screen(self.shown)


def lines_of(widget: Static) -> list[str]:
    return [strip.text for strip in widget.render_lines(widget.region.reset_offset)]


async def test_the_head_and_the_manifest_path_wrap_at_80_columns(lab: m.Lab) -> None:
    source = bookinfo_source(lab)
    e = Explanation(
        "istio-ingressgateway-5c8d7b9f64-x2k9q.istio-system",
        Request("GET", "localhost:8080", "/productpage", {}),
        listener="0.0.0.0_8080",
        route_config="http.8080",
        virtual_service="bookinfo/bookinfo",
        rule=0,
        source=source,
    )
    screen = FixedExplain(None, lab, ExplainTarget("http://localhost:8080/productpage", {},
                                                    GATEWAY_POD))  # fmt: skip
    screen.text = as_text(e)
    app = Host(screen)
    async with app.run_test(size=SMALL) as pilot:
        for _ in range(5):  # mount, then the update the screen's worker made
            await pilot.pause()
        out = app.screen.query_one("#explain-out", Static)
        head = app.screen.query_one("#explain-head")
        shown = lines_of(out)
        head_lines = lines_of(head)
    assert all(len(line) <= SMALL[0] for line in shown + head_lines)
    # Nothing cut: the path and the pod's name are all there, folded over lines.
    assert source in "".join(line.strip() for line in shown)
    assert GATEWAY_POD in "".join(line.strip() for line in head_lines)
    assert "esc: Close" in head_lines[-1]  # the keymap's words for the screen's keys
