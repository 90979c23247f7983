"""What each key does (the registry names these `action_*` methods); mixed into the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Input, TabbedContent

from istiotui.lab import tunnels
from istiotui.lab.walk import runs_on
from istiotui.lab.words import word as t
from istiotui.mesh.kinds import lookup
from istiotui.ui.keymap import ENV as ENVIRONMENT  # not the screen: it loads the VM layer
from istiotui.ui.screens.help import HelpScreen
from istiotui.ui.screens.modals import ChooseContainer, ConfirmQuit
from istiotui.ui.widgets.outline import Outline
from istiotui.ui.widgets.resource_tree import ResourceTree

if TYPE_CHECKING:
    from istiotui.ui.app import IstioTui

TAB_ORDER = ("tab-step", "tab-tree", "tab-diff", "tab-traffic", "tab-activity")


class Actions:
    # -- moving ----------------------------------------------------------------

    def action_cursor_down(self: IstioTui) -> None:
        focused = self.focused
        if focused is not None and hasattr(focused, "action_cursor_down"):
            focused.action_cursor_down()

    def action_cursor_up(self: IstioTui) -> None:
        focused = self.focused
        if focused is not None and hasattr(focused, "action_cursor_up"):
            focused.action_cursor_up()

    def action_open(self: IstioTui) -> None:
        node = self.main_screen.query_one(Outline).cursor_node
        if node is not None and node.data:
            self.open_step(node.data)

    def show_tab(self: IstioTui, tab: str) -> None:
        self.active_tab = tab  # kept across a re-layout even when this layout lacks it
        for tabs in self.main_screen.query("#tabs").results(TabbedContent):
            if tabs.query(f"#{tab}"):
                tabs.active = tab

    def action_next_panel(self: IstioTui) -> None:
        tabs = self.main_screen.query_one("#tabs", TabbedContent)
        present = [tab for tab in TAB_ORDER if tabs.query(f"#{tab}")]
        current = tabs.active if tabs.active in present else present[0]
        self.show_tab(present[(present.index(current) + 1) % len(present)])

    # -- the step ----------------------------------------------------------------

    def _can_change(self: IstioTui) -> bool:
        """A cluster is there and the step runs on it; else say why and do nothing."""
        if self.backend is None:
            self.notify(t("needs_cluster", self.lang), severity="warning")
            return False
        if not runs_on(self.step, self.backend.cluster):
            self.notify(t("not_here", self.lang), severity="warning")
            return False
        return True

    def action_apply_step(self: IstioTui) -> None:
        if self._can_change():
            self.show_tab("tab-diff")
            self.compute_diff(self.step, True, list(self.store.objects.values()))

    def action_diff_step(self: IstioTui) -> None:
        if self._can_change():
            self.show_tab("tab-diff")
            self.compute_diff(self.step, False, list(self.store.objects.values()))

    def action_toggle_probes(self: IstioTui) -> None:
        if self.probing:
            self.workers.cancel_group(self, "traffic")
            self.probing = False
            self.log_line(t("stopped", self.lang))
            return
        if not self.step.probes:
            self.notify(t("no_probe", self.lang), severity="warning")
            return
        if self._can_change():
            self.show_tab("tab-traffic")
            self.probing = True
            self.log_line(f"{t('probing', self.lang)} {self.step.probes[0].id}")
            self.probe_rounds(self.step, self.step.probes[0])

    def action_verify_step(self: IstioTui) -> None:
        if not self.step.probes:
            self.notify(t("no_probe", self.lang), severity="warning")
            return
        if self._can_change():
            self.probing = False
            self.show_tab("tab-traffic")
            self.verify(self.step)

    def action_cleanup_step(self: IstioTui) -> None:
        if self._can_change():
            self.cleanup_step(self.step)

    def action_catch_up(self: IstioTui) -> None:
        if self._can_change():
            self.catch_up_to(self.step)

    def action_toggle_tunnel(self: IstioTui) -> None:
        """Hold the step's port-forward open for the learner (the ingress gateway's 8080:80
        when the step names none), or close the one that is open."""
        if self.backend is None:
            self.notify(t("offline", self.lang), severity="warning")
            return
        if self.tunnel is not None:
            self.toggle_tunnel_in(self.tunnel, False)
        else:
            self.toggle_tunnel_in(tunnels.for_step(self.step), True)

    def action_refresh(self: IstioTui) -> None:
        self.reconnect()

    def action_toggle_language(self: IstioTui) -> None:
        self.set_language("en" if self.lang == "es" else "es")

    # -- the resource tree ------------------------------------------------------------

    def action_show_yaml(self: IstioTui) -> None:
        key = self.main_screen.query_one(ResourceTree).selected_key
        kind = lookup(key[0]) if key else None
        if key is None or kind is None or self.backend is None:
            self.notify(t("select_object", self.lang), severity="warning")
            return
        self.fetch_yaml(key, kind.api_version)

    def action_show_logs(self: IstioTui) -> None:
        key = self.main_screen.query_one(ResourceTree).selected_key
        pod = self.store.objects.get(key) if key else None
        if key is None or key[0] != "Pod" or pod is None or self.backend is None:
            self.notify(t("select_pod", self.lang), severity="warning")
            return
        containers = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]

        def chosen(container: str | None) -> None:
            if container:
                self.fetch_logs(key[1], key[2], container)

        self.push_screen(ChooseContainer(key[2], containers, self.lang), chosen)

    def action_filter_tree(self: IstioTui) -> None:
        self.show_tab("tab-tree")  # narrow layout; the wide one always shows the tree
        field = self.main_screen.query_one("#filter", Input)
        field.remove_class("hidden")
        field.focus()

    def action_help(self: IstioTui) -> None:
        self.push_screen(HelpScreen(self.lang))

    # -- leaving ----------------------------------------------------------------------

    def running_work(self: IstioTui) -> list[str]:
        """What quitting now would stop half-way: changes to the cluster, a Vagrant action."""
        work = [
            t(f"work.{w.name}", self.lang)
            for w in self.workers
            if w.group == "change" and not w.is_finished
        ]
        if self.is_screen_installed(ENVIRONMENT) and self.get_screen(ENVIRONMENT).busy:
            work.append(t("work.vagrant", self.lang))
        return work

    async def action_quit(self: IstioTui) -> None:
        """`q` and Ctrl+C: quit at once when nothing is running, else ask (again quits)."""
        work = self.running_work()
        if not work or isinstance(self.screen, ConfirmQuit):
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(ConfirmQuit(", ".join(work), self.lang), answered)

    def run_registry_action(self: IstioTui, name: str) -> None:
        self.call_later(self.run_action, name)
