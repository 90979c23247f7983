"""The main screen: outline, step text and panels; tabs below 120 columns, side by side above.

Composed from the app's model, so a re-layout (resize) or a language switch simply composes it
again; nothing is lost because no state lives only in a widget. Its `show_*` methods draw the
app's model into its widgets (the app calls them when the model changes).

The first frame holds the header, the outline, a draft of the step's text and the key bar; the
panels (the resource tree, the diff, the traffic, the activity) and the step's Markdown are
mounted right after it (`widgets/deferred.py`), with their modules: see docs/tui.md, Start-up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar, TypeVar

from rich.markup import escape
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget

from istiotui.lab.words import word as t
from istiotui.ui.keymap import MAIN, bindings
from istiotui.ui.widgets.deferred import AfterFirstFrame
from istiotui.ui.widgets.keybar import KeyBar
from istiotui.ui.widgets.outline import Outline
from istiotui.ui.widgets.status_line import StatusLine
from istiotui.ui.widgets.step_view import StepView, step_markdown

if TYPE_CHECKING:  # the panels' modules load with the panels, after the first frame
    from textual.widgets import Input, TabbedContent, Tree

WIDE_COLUMNS = 120
WIDE_TABS = ("tab-diff", "tab-traffic", "tab-activity")
NARROW_TABS = ("tab-step", "tab-tree", *WIDE_TABS)
# The panels `tab` goes through, in order: (the widget focused, the tab that shows it when the
# layout has one). The wide layout shows the outline, the step and the tree side by side.
PANELS = (
    ("outline", None),
    ("step", "tab-step"),
    ("resources", "tab-tree"),
    ("diff", "tab-diff"),
    ("traffic", "tab-traffic"),
    ("activity", "tab-activity"),
)
TREE = 2  # the resource tree's place in PANELS
W = TypeVar("W", bound=Widget)


def layout_for(width: int) -> str:
    return "wide" if width >= WIDE_COLUMNS else "narrow"


class MainScreen(Screen):
    """Draws the app's model; its own keys are those of its panels (the keymap's `MAIN` ones),
    which run the app's workers through `app.start`."""

    BINDINGS: ClassVar[list[Binding]] = bindings("en", MAIN)  # `tab` too: not focus-next here

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
                    yield AfterFirstFrame(self._wide_panels)
            else:
                from textual.widgets import TabbedContent, TabPane

                initial = app.active_tab if app.active_tab in NARROW_TABS else "tab-step"
                with TabbedContent(id="tabs", initial=initial):
                    with TabPane(t("step", lang), id="tab-step"):
                        yield StepView(step_md, id="step")
                    with TabPane(t("tree", lang), id="tab-tree"):
                        yield AfterFirstFrame(self._tree)
                    yield from self._panels()
        yield KeyBar(id="keys")

    def _wide_panels(self) -> ComposeResult:
        from textual.widgets import TabbedContent

        with Vertical(id="tree-box"):
            yield from self._tree()
        active = self.app.active_tab
        with TabbedContent(id="tabs", initial=active if active in WIDE_TABS else "tab-diff"):
            yield from self._panels()

    def _tree(self) -> ComposeResult:
        from textual.widgets import Input

        from istiotui.ui.widgets.resource_tree import ResourceTree

        yield Input(placeholder=t("filter", self.app.lang), id="filter", classes="hidden")
        yield ResourceTree(id="resources")

    def _panels(self) -> ComposeResult:
        from textual.widgets import TabPane

        app = self.app
        with TabPane(t("diff", app.lang), id="tab-diff"):
            yield AfterFirstFrame(self._diff)
        with TabPane(t("traffic", app.lang), id="tab-traffic"):
            # The plot (plotext) is never part of the first frame.
            yield AfterFirstFrame(self._traffic)
        with TabPane(t("activity", app.lang), id="tab-activity"):
            yield AfterFirstFrame(self._activity)

    def _diff(self) -> Widget:
        from istiotui.ui.widgets.diff_view import DiffView  # the diff and the analysis: yaml

        return DiffView(id="diff")

    def _traffic(self) -> Widget:
        from istiotui.ui.widgets.traffic import TrafficPanel

        return TrafficPanel(id="traffic")

    def _activity(self) -> Widget:
        # RichLog brings rich.pretty (and attrs) with it: not for the first frame. Built when
        # mounted, it starts with every line logged until then.
        from istiotui.ui.widgets.activity import Activity

        return Activity(self.app.activity_lines, id="activity")

    def on_mount(self) -> None:
        self.refresh_views()
        self.query_one(Outline).focus()

    def on_after_first_frame_filled(self, _: AfterFirstFrame.Filled) -> None:
        # The panels mounted after the first frame: draw the model in them.
        self.show_tree()
        self.show_diff()
        self.show_traffic()

    def on_resize(self, event: events.Resize) -> None:
        wanted = layout_for(event.size.width)
        if wanted != self.layout_name:
            self.layout_name = wanted
            self.set_class(wanted == "narrow", "-narrow")
            self.set_class(wanted == "wide", "-wide")
            self.app.relayout()

    # -- the app's model, drawn -------------------------------------------------------

    def _views(self, kind: type[W]) -> list[W]:
        """The widgets of a kind; none while the screen is being composed again or before the
        deferred panels are mounted (they are drawn then)."""
        return list(self.query(kind))

    def refresh_views(self) -> None:
        if not self.query(StatusLine):
            return
        self.show_status()
        self.show_outline()
        self.show_tree()
        self.show_diff()
        self.show_traffic()
        for bar in self._views(KeyBar):
            bar.show(self.app.lang)

    def show_status(self) -> None:
        app = self.app
        for line in self._views(StatusLine):
            line.show(app.info, app.step.namespace, app.lang, app.tunnel)

    def show_outline(self) -> None:
        app = self.app
        cluster = app.backend.cluster if app.backend else None
        for outline in self._views(Outline):
            outline.show(app.progress, app.lang, cluster, app.step.id)

    def show_step(self) -> None:
        app = self.app
        for view in self._views(StepView):
            view.update(step_markdown(app.lab, app.step, app.lang))
            view.scroll_home(animate=False)

    # The panels' widgets are found by their names (a CSS type), so that drawing into them
    # before they exist does not import them.

    def show_tree(self) -> None:
        app, store = self.app, self.app.store
        message = None
        if store.lost:  # the watch keeps retrying; what is shown may be stale meanwhile
            message = f"[red]✗ {t('lost', app.lang)}: {escape(store.lost)}[/]"
        elif not store.objects and app.info.state in ("connecting", "offline", "failed"):
            message = t("connecting" if app.info.state == "connecting" else "offline", app.lang)
        now = datetime.fromtimestamp(app.clock(), UTC)
        for tree in self.query("ResourceTree"):
            tree.show(store, app.live_findings, now, app.filter_text, message)

    def show_diff(self) -> None:
        views = self.query("DiffView")
        if not views:
            return
        from istiotui.ui.widgets.diff_view import render_diff

        app = self.app
        diffs, findings, step_id = None, (), None
        if app.diff is not None and app.diff[0] == app.step.id:
            step_id, diffs, findings = app.diff
        text = render_diff(diffs, findings, app.diff_error, app.lang, step_id)
        for view in views:
            view.show(text)

    def show_traffic(self) -> None:
        app = self.app
        for panel in self.query("TrafficPanel"):
            panel.show(app.traffic, app.step, app.judged, app.traffic_error, app.lang)

    def show_tab(self, tab: str) -> None:
        self.app.active_tab = tab  # kept across a re-layout even when this layout lacks it
        for tabs in self.query("#tabs"):
            if tabs.query(f"#{tab}"):
                tabs.active = tab

    # -- its widgets' events (by name: the widgets' modules load after the first frame) ------

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        if event.control.id == "outline" and event.node.data:
            self.app.open_step(event.node.data)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.app.filter_text = event.value
            self.show_tree()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.query_one("#resources").focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id and event.tabbed_content.is_attached:  # not one being recomposed away
            self.app.active_tab = event.pane.id

    # -- the panels' keys -------------------------------------------------------------

    def action_open(self) -> None:
        node = self.query_one(Outline).cursor_node
        if node is not None and node.data:
            self.app.open_step(node.data)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys for the tree act where the tree has the focus; Esc where the filter is open
        (so the key bar shows them only there)."""
        if action in ("show_yaml", "show_logs"):
            return self.focused is not None and self.focused.id == "resources"
        if action == "clear_filter":
            return any(not field.has_class("hidden") for field in self.query("#filter"))
        return True

    def _panel_now(self) -> int:
        ids = [wid for wid, _ in PANELS]
        focused = self.focused
        for node in focused.ancestors_with_self if focused is not None else ():
            if node.id in ids:
                return ids.index(node.id)
            if node.id in ("filter", "tree-box"):
                return TREE
        # The tabs' own bar (or nothing) in focus: the panel of the tab shown.
        tabs = [tab for _, tab in PANELS]
        return tabs.index(self.app.active_tab) if self.app.active_tab in tabs else 0

    def action_next_panel(self) -> None:
        self._go_to_panel((self._panel_now() + 1) % len(PANELS))

    def action_previous_panel(self) -> None:
        self._go_to_panel((self._panel_now() - 1) % len(PANELS))

    def _go_to_panel(self, index: int) -> None:
        wid, tab = PANELS[index]
        if tab is not None:
            self.show_tab(tab)

        def focus() -> None:  # once the tab shown has been laid out
            for widget in self.query(f"#{wid}"):
                if widget.focusable:
                    widget.focus()
                    return
            for tabs in self.query("#tabs ContentTabs"):
                tabs.focus()  # a panel with nothing to focus (the plot): the tabs' bar

        self.call_after_refresh(focus)

    def selected(self) -> tuple[str, str, str] | None:
        """The key of the tree's object under the cursor (None too while the tree is not
        mounted yet: a key pressed before the deferred panels are filled)."""
        from istiotui.ui.widgets.resource_tree import ResourceTree

        trees = self.query(ResourceTree)
        return trees.first().selected_key if trees else None

    def action_show_yaml(self) -> None:
        from istiotui.mesh.kinds import lookup
        from istiotui.ui import workers as work

        app = self.app
        key = self.selected()
        kind = lookup(key[0]) if key else None
        if key is None or kind is None or app.backend is None:
            app.notify(t("select_object", app.lang), severity="warning")
            return
        app.start(work.fetch_yaml, key, kind.api_version, group="read")

    def action_show_logs(self) -> None:
        from istiotui.ui import workers as work
        from istiotui.ui.screens.modals import ChooseContainer

        app = self.app
        key = self.selected()
        pod = app.store.objects.get(key) if key else None
        if key is None or key[0] != "Pod" or pod is None or app.backend is None:
            app.notify(t("select_pod", app.lang), severity="warning")
            return
        containers = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
        if len(containers) == 1:  # nothing to choose
            app.start(work.fetch_logs, key[1], key[2], containers[0], group="read")
            return

        def chosen(container: str | None) -> None:
            if container:
                app.start(work.fetch_logs, key[1], key[2], container, group="read")

        app.push_screen(ChooseContainer(key[2], containers, app.lang), chosen)

    def action_copy_commands(self) -> None:
        """The step's commands to the clipboard (OSC 52: the terminal's, over SSH too)."""
        app, commands = self.app, self.app.step.commands
        if not commands:
            app.notify(t("no_commands", app.lang), severity="warning")
            return
        app.copy_to_clipboard("\n".join(commands) + "\n")
        app.notify(t("copied", app.lang, n=len(commands)))

    async def action_filter_tree(self) -> None:
        self.show_tab("tab-tree")  # narrow layout; the wide one always shows the tree
        if not self.query("#filter"):
            # `/` before the panels were mounted, right after the start: they are mounted now,
            # and the app takes no other key meanwhile, so those typed after `/` (a burst, or
            # typed ahead of the first frame) go into the filter, not to the keys.
            for place in list(self.query(AfterFirstFrame)):
                await place.fill_now()
        field = next(iter(self.query("#filter")), None)
        if field is None:  # the screen is being composed again (a resize): nothing to open
            return
        field.remove_class("hidden")
        # At once, not after the keys already queued (`focus()` waits for them): what is typed
        # right after `/` goes into the field, not to the keys (`e` would open the VMs).
        self.set_focus(field)
        self.refresh_bindings()

    def action_clear_filter(self) -> None:
        field = self.query_one("#filter")
        field.value = ""  # its Changed message shows the whole tree again
        field.add_class("hidden")
        self.query_one("#resources").focus()
        self.refresh_bindings()
