"""The main screen: outline, step text and panels; tabs below 120 columns, side by side above.

Composed from the app's model, so a re-layout (resize) or a language switch simply composes it
again; nothing is lost because no state lives only in a widget.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, TabbedContent, TabPane

from istiotui.lab.words import word as t
from istiotui.ui.keymap import bindings
from istiotui.ui.widgets.deferred import AfterFirstFrame
from istiotui.ui.widgets.diff_view import DiffView
from istiotui.ui.widgets.keybar import KeyBar
from istiotui.ui.widgets.outline import Outline
from istiotui.ui.widgets.resource_tree import ResourceTree
from istiotui.ui.widgets.status_line import StatusLine
from istiotui.ui.widgets.step_view import StepView, step_markdown
from istiotui.ui.widgets.traffic import TrafficPanel

WIDE_COLUMNS = 120
WIDE_TABS = ("tab-diff", "tab-traffic", "tab-activity")
NARROW_TABS = ("tab-step", "tab-tree", *WIDE_TABS)


def layout_for(width: int) -> str:
    return "wide" if width >= WIDE_COLUMNS else "narrow"


class MainScreen(Screen):
    # The screen's own `tab` (focus next) would shadow the app's binding: re-declare it here.
    BINDINGS: ClassVar[list[Binding]] = [
        Binding(b.key, f"app.{b.action}", b.description, show=False, id=b.id)
        for b in bindings("en")
        if b.id == "view.next_panel"
    ]

    def __init__(self, layout: str) -> None:
        super().__init__(classes=f"-{layout}")
        self.layout_name = layout

    def compose(self) -> ComposeResult:
        app = self.app
        lang = app.lang
        yield StatusLine(id="status")
        with Horizontal(id="body"):
            yield Outline(app.lab, id="outline")
            step_md = step_markdown(app.lab, app.step, lang)
            if self.layout_name == "wide":
                # Side by side: the step's text, and the tree above the other panels.
                yield StepView(step_md, id="step")
                with Vertical(id="panels"):
                    with Vertical(id="tree-box"):
                        yield from self._tree()
                    initial = app.active_tab if app.active_tab in WIDE_TABS else "tab-diff"
                    with TabbedContent(id="tabs", initial=initial):
                        yield from self._panels()
            else:
                initial = app.active_tab if app.active_tab in NARROW_TABS else "tab-step"
                with TabbedContent(id="tabs", initial=initial):
                    with TabPane(t("step", lang), id="tab-step"):
                        yield StepView(step_md, id="step")
                    with TabPane(t("tree", lang), id="tab-tree"):
                        yield from self._tree()
                    yield from self._panels()
        yield KeyBar(id="keys")

    def _tree(self) -> ComposeResult:
        yield Input(placeholder=t("filter", self.app.lang), id="filter", classes="hidden")
        yield ResourceTree(id="resources")

    def _panels(self) -> ComposeResult:
        app = self.app
        with TabPane(t("diff", app.lang), id="tab-diff"):
            yield DiffView(id="diff")
        with TabPane(t("traffic", app.lang), id="tab-traffic"):
            # The plot (plotext) is never part of the first frame.
            yield AfterFirstFrame(lambda: TrafficPanel(id="traffic"))
        with TabPane(t("activity", app.lang), id="tab-activity"):
            yield AfterFirstFrame(self._activity)

    def _activity(self) -> Widget:
        # RichLog brings rich.pretty (and attrs) with it: not for the first frame. Built when
        # mounted, it starts with every line logged until then.
        from istiotui.ui.widgets.activity import Activity

        return Activity(self.app.activity_lines, id="activity")

    def on_mount(self) -> None:
        self.app.refresh_views()
        self.query_one(Outline).focus()

    def on_resize(self, event: events.Resize) -> None:
        wanted = layout_for(event.size.width)
        if wanted != self.layout_name:
            self.layout_name = wanted
            self.set_class(wanted == "narrow", "-narrow")
            self.set_class(wanted == "wide", "-wide")
            self.app.relayout()
