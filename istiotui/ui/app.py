"""The Textual app: the lab's model, what the keys do, and the wiring of workers and screens.

It never blocks on the network: the first frame shows the lab; connecting, watching, diffing,
applying and probing are functions of `workers.py`, run in workers that report back with
messages (`messages.py`). `connector=None` keeps it offline — the snapshot tests feed it the
same messages instead.

To add a screen: a line in `SCREENS` and a key in `keymap.py` whose action is
`open_screen('name')`; the screen's module loads when the key is first pressed. It is built
without arguments and reads what it needs from the app (`app.backend`, `app.step`, `app.lang`);
long work goes through `app.start(function, *args, group=...)` like the main screen's.

The main screen draws the model (`MainScreen.show_*`); the app changes the model and says which
part to draw again. Modules that the first frame does not need are imported where they are used
(the workers, the analysis, the dialogs): see docs/tui.md, Start-up.
"""

from __future__ import annotations

import importlib
import inspect
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.screen import Screen

from istiotui.lab import model as m
from istiotui.lab.walk import runs_on
from istiotui.lab.words import word as t
from istiotui.ui import learner_progress as prog
from istiotui.ui.commands import LabCommands, LabPalette
from istiotui.ui.exit_signals import ExitSignals
from istiotui.ui.handover import Handover
from istiotui.ui.keymap import ENV, MAIN, SHOWN_ONLY, UiAction, bindings
from istiotui.ui.learner_progress import StepState
from istiotui.ui.screens.main import MainScreen, layout_for
from istiotui.ui.store import MARK_SECONDS, ResourceStore, Traffic
from istiotui.ui.widgets.outline import Outline
from istiotui.ui.widgets.status_line import ClusterInfo
from istiotui.ui.widgets.typed_ahead import keys_of_paste, type_into_focused_field

if TYPE_CHECKING:  # the backend (kubernetes client, probes) loads in the connect worker
    from istiotui.lab.tunnels import Tunnel
    from istiotui.mesh.analysis import Finding
    from istiotui.mesh.diff import ObjectDiff
    from istiotui.ui import messages as msg
    from istiotui.ui.backend import Backend, Connector

ACTIVITY_KEPT = 500
# Screens a key opens (`open_screen('name')`), as "module:class": built on first use, so that
# their modules (the VM layer for the Environment screen) load then, not before the first frame.
# One instance each for the app's life: e.g. Vagrant's output is kept between visits.
SCREENS: dict[str, str] = {
    ENV: "istiotui.ui.screens.environment:EnvironmentScreen",
}


class IstioTui(App):
    CSS_PATH = Path(__file__).with_name("istiotui.tcss")  # absolute: subclasses live elsewhere
    TITLE = "istiotui"
    BINDINGS = bindings("en")  # the footer and help are drawn from the registry in either language
    # Textual's own commands (theme, keys, screenshot, quit) and the lab's, side by side.
    COMMANDS = App.COMMANDS | {LabCommands}

    def __init__(
        self,
        lab: m.Lab,
        lang: m.Lang = "en",
        connector: Connector | None = None,
        *,
        start_step: str | None = None,
        context_hint: str = "offline",
        state_dir: Path | None = None,
        clock: Callable[[], float] = time.time,
        exit_signals: bool = True,
    ) -> None:
        super().__init__()
        self.lab = lab
        self.lang: m.Lang = lang
        self.connector = connector
        self.clock = clock
        self.state_dir = state_dir or prog.progress_dir()
        self.progress = prog.load(context_hint, self.state_dir)
        self._explicit_step = start_step
        first = start_step or self.progress.current
        self.step = lab.step(first) if first and lab.has_step(first) else next(lab.steps())
        self.progress.current = self.step.id
        self.info = ClusterInfo(state="connecting" if connector else "offline")
        self._handover = Handover()  # the backend, from the connect worker
        self.store = ResourceStore(clock)
        self.live_findings: list[Finding] = []
        self.diff: tuple[str, tuple[ObjectDiff, ...], tuple[Finding, ...]] | None = None
        self.diff_error: str | None = None
        self.traffic = Traffic()
        self.judged: tuple = ()
        self.traffic_error: str | None = None
        self.activity_lines: list[str] = []
        self.active_tab = "tab-step"
        self.filter_text = ""
        self.probing = False
        self.tunnel: Tunnel | None = None  # the learner's port-forward the app holds open
        self.main_screen: MainScreen | None = None
        # None when the process handles SIGTERM/SIGHUP itself (`cli/ending.py`, which also
        # works while this loop is blocked).
        self._exit_signals = ExitSignals() if exit_signals else None
        # The session's notes (e.g. a local cluster started that keeps running) were shown.
        self.notes_shown = False
        # Run once the first frame has been drawn (the launcher's, e.g. the garbage collector).
        self.after_first_frame: list[Callable[[], object]] = []

    # -- start, end, layout, language ----------------------------------------------------

    def clock_monotonic(self) -> float:
        return time.monotonic()

    def get_default_screen(self) -> Screen:
        self.main_screen = MainScreen(layout_for(self.size.width))
        return self.main_screen

    def on_mount(self) -> None:
        if self._exit_signals is not None:
            self._exit_signals.catch(self.exit)
        self.call_after_refresh(self._first_frame_drawn)

    def _first_frame_drawn(self) -> None:
        self.connect_cluster()
        for hook in self.after_first_frame:
            hook()

    def on_unmount(self) -> None:
        if self._exit_signals is not None:
            self._exit_signals.release()
        backend = self._handover.let_go()
        if backend is not None:
            backend.close()

    async def action_command_palette(self) -> None:
        """`:` and ctrl+p. Keys behind the one that opened it (a burst) go to its prompt: the app
        takes no other key until the prompt is mounted and has the focus (unfocused, the palette
        would drop them)."""
        from textual.command import CommandInput, CommandPalette

        if not self.use_command_palette or CommandPalette.is_open(self):
            return
        palette = LabPalette()
        await self.push_screen(palette)
        palette.set_focus(palette.query_one(CommandInput))

    def action_explain(self) -> None:
        from istiotui.ui.screens.explain import open_explain  # its I/O loads on first use

        open_explain(self)

    def action_proxies(self) -> None:
        from istiotui.ui.screens.proxies import open_proxies

        open_proxies(self)

    def action_graph(self) -> None:
        from istiotui.ui.screens.graph import GraphScreen

        backend = self.backend
        fetch, kiali = (backend.graph, backend.kiali) if backend else (None, None)
        self.push_screen(GraphScreen(fetch, self.lang, kiali=kiali))

    async def action_open_screen(self, name: str, action: str = "") -> None:
        """Open a screen of `SCREENS`, or run `action` on it when it is the one shown (a key
        meant for it does nothing more elsewhere)."""
        if not self.is_screen_installed(name):
            module, cls = SCREENS[name].split(":")
            self.install_screen(getattr(importlib.import_module(module), cls)(), name)
        screen = self.get_screen(name)
        if self.screen is screen:
            if action:
                await self.run_action(action, screen)
        elif screen not in self.screen_stack:
            self.push_screen(screen)

    def relayout(self) -> None:
        async def again() -> None:
            await self.main_screen.recompose()
            self.main_screen.refresh_views()
            # None when the app is closing under the recompose (a quit or a signal amid
            # language switches): nothing is left to focus.
            for outline in list(self.main_screen.query(Outline))[:1]:
                outline.focus()

        self.call_later(again)

    def set_language(self, lang: m.Lang) -> None:
        self.lang = lang
        self.relayout()
        # The screens open over the main one (Graph, Explain, Proxies, a viewer) follow at once;
        # the Environment screen keeps its state between visits, so it follows even when closed.
        installed = [self.get_screen(ENV)] if self.is_screen_installed(ENV) else []
        for screen in dict.fromkeys([*self.screen_stack, *installed]):
            if screen is not self.main_screen and hasattr(screen, "set_language"):
                screen.set_language(lang)

    def open_step(self, step_id: str) -> None:
        if step_id == self.step.id:
            return
        self.workers.cancel_group(self, "traffic")
        self.probing = False
        self.step = self.lab.step(step_id)
        self.progress.current = step_id
        self._save()
        self.diff, self.diff_error, self.judged, self.traffic_error = None, None, (), None
        self.traffic.reset()
        self.main_screen.show_step()
        self.main_screen.show_tab("tab-step")
        self.main_screen.refresh_views()

    def log_line(self, line: str) -> None:
        self.activity_lines = [*self.activity_lines[-ACTIVITY_KEPT:], line]
        if self.main_screen is not None:
            for widget in self.main_screen.query("#activity"):
                widget.write(line)

    def _save(self) -> None:
        try:
            prog.save(self.progress, self.state_dir)
        except OSError as exc:
            self.log_line(f"progress not saved: {exc}")

    def _say_failed(self, reason: str, title: str = "") -> None:
        self.log_line(f"✗ {reason}")
        self.notify(reason, title=title, severity="error", markup=False)  # their words

    def _set_state(self, step_id: str, state: StepState) -> None:
        self.progress.states[step_id] = state
        self._save()
        self.main_screen.show_outline()

    # -- the connection and the workers ---------------------------------------------------

    @property
    def backend(self) -> Backend | None:
        """What the app talks to (None: offline, connecting, or reconnecting)."""
        return self._handover.backend

    def connect_cluster(self) -> None:
        if self.connector is None:
            return
        from istiotui.ui import workers as work

        adopt = partial(self._handover.adopt, self._handover.ticket())
        connect = partial(work.connect, self.connector, self.post_message, adopt)
        self.run_worker(
            connect, "connect", group="connect", exclusive=True, thread=True, exit_on_error=False
        )

    def reconnect(self) -> None:
        if self.connector is None:
            return
        old = self._handover.let_go()
        self.store.clear()
        self.info = ClusterInfo(state="connecting")
        self.main_screen.refresh_views()
        if old is not None:
            self.run_worker(old.close, thread=True, group="close")
        self.connect_cluster()

    def start(self, job: Callable[..., object], *args: object, group: str) -> None:
        """Run one of `workers.py`'s functions on the current backend, the last of its group."""
        from istiotui.ui import workers as work

        if self.backend is None:
            self.notify(t("needs_cluster", self.lang), severity="warning")
            return
        given = work.Job(self.backend, self.post_message, self.lang, lambda: self.backend)
        self.run_worker(
            partial(job, given, *args),
            job.__name__,
            group=group,
            exclusive=True,
            exit_on_error=False,
            thread=not inspect.iscoroutinefunction(job),
        )

    # -- what the keys do (the keymap names these `action_*` methods) -----------------------

    def action_cursor_down(self) -> None:
        focused = self.focused
        if focused is not None and hasattr(focused, "action_cursor_down"):
            focused.action_cursor_down()

    def action_cursor_up(self) -> None:
        focused = self.focused
        if focused is not None and hasattr(focused, "action_cursor_up"):
            focused.action_cursor_up()

    def _can_change(self) -> bool:
        """A cluster is there and the step runs on it; else say why and do nothing."""
        if self.backend is None:
            self.notify(t("needs_cluster", self.lang), severity="warning")
            return False
        if not runs_on(self.step, self.backend.cluster):
            self.notify(t("not_here", self.lang), severity="warning")
            return False
        return True

    def action_apply_step(self) -> None:
        self._diff(for_apply=True)

    def action_diff_step(self) -> None:
        self._diff(for_apply=False)

    def _diff(self, for_apply: bool) -> None:
        from istiotui.ui import workers as work

        if self._can_change():
            self.main_screen.show_tab("tab-diff")
            live = list(self.store.objects.values())
            self.start(work.compute_diff, self.step, for_apply, live, group="diff")

    def action_toggle_probes(self) -> None:
        from istiotui.ui import workers as work

        if self.probing:
            self.workers.cancel_group(self, "traffic")
            self.probing = False
            self.log_line(t("stopped", self.lang))
            return
        if not self.step.probes:
            self.notify(t("no_probe", self.lang), severity="warning")
            return
        if self._can_change():
            self.main_screen.show_tab("tab-traffic")
            self.probing = True
            self.log_line(f"{t('probing', self.lang)} {self.step.probes[0].id}")
            self.start(work.probe_rounds, self.step, self.step.probes[0], group="traffic")

    def action_verify_step(self) -> None:
        from istiotui.ui import workers as work

        if not self.step.probes:
            self.notify(t("no_probe", self.lang), severity="warning")
            return
        if self._can_change():
            self.probing = False
            self.main_screen.show_tab("tab-traffic")
            self.start(work.verify, self.step, group="traffic")

    def action_cleanup_step(self) -> None:
        from istiotui.ui import workers as work

        if self._can_change():
            self.start(work.cleanup_step, self.step, group="change")

    def action_catch_up(self) -> None:
        from istiotui.ui import workers as work

        if self._can_change():
            self.start(work.catch_up_to, self.lab, self.step, group="change")

    def action_toggle_tunnel(self) -> None:
        """Hold the step's port-forward open for the learner (the ingress gateway's 8080:80
        when the step names none), or close the one that is open."""
        from istiotui.lab import tunnels
        from istiotui.ui import workers as work

        if self.backend is None:
            self.notify(t("offline", self.lang), severity="warning")
        elif self.tunnel is not None:
            self.start(work.toggle_tunnel, self.tunnel, False, group="tunnel")
        else:
            self.start(work.toggle_tunnel, tunnels.for_step(self.step), True, group="tunnel")

    def action_refresh(self) -> None:
        self.reconnect()

    def action_toggle_language(self) -> None:
        self.set_language("en" if self.lang == "es" else "es")

    def action_help(self) -> None:
        from istiotui.ui.screens.help import HelpScreen

        # The screen it is asked on too (the Graph view, the Proxies screen…): its keys first.
        nodes = (self, self.main_screen, self.screen)
        bound = [b for node in dict.fromkeys(nodes) if node for _, b in node._bindings]
        self.push_screen(HelpScreen(self.lang, bound, getattr(self.screen, "KEYMAP_SCREEN", None)))

    def running_work(self) -> list[str]:
        """What quitting now would stop half-way: changes to the cluster, a Vagrant action."""
        work_ = [
            t(f"work.{w.name}", self.lang)
            for w in self.workers
            if w.group == "change" and not w.is_finished
        ]
        if self.is_screen_installed(ENV) and self.get_screen(ENV).busy:
            work_.append(t("work.vagrant", self.lang))
        return work_

    async def action_quit(self) -> None:
        """`q` and Ctrl+C: quit at once when nothing is running, else ask (again quits)."""
        from istiotui.ui.screens.modals import ConfirmQuit

        running = self.running_work()
        if not running or isinstance(self.screen, ConfirmQuit):
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(ConfirmQuit(", ".join(running), self.lang), answered)

    def run_registry_action(self, action: UiAction, over: Screen | None = None) -> None:
        """From the palette: on the main screen when the action is one of its own; on `over`,
        the screen the palette was opened over, when the action is that screen's."""
        where = self.main_screen if action.screen == MAIN else None
        if action.screen in SHOWN_ONLY and over is not None:
            where = over
        self.call_later(self.run_action, action.action, where)

    # -- what the workers report ---------------------------------------------------------

    def on_cluster_connected(self, event: msg.ClusterConnected) -> None:
        self.info = ClusterInfo("connected", event.context, event.cluster, event.version)
        if event.context != self.progress.context:
            self.progress = prog.load(event.context, self.state_dir)
            wanted = self._explicit_step or self.progress.current
            if wanted and self.lab.has_step(wanted) and wanted != self.step.id:
                self.open_step(wanted)
        self.log_line(f"connected to {event.context} ({event.cluster}, {event.server})")
        for note in event.notes:
            said = t(note.key, self.lang, **dict(note.fields))
            self.log_line(said)
            self.notify(said, severity="warning", timeout=15, markup=False)
        self.notes_shown = True
        self.main_screen.refresh_views()

    def on_cluster_failed(self, event: msg.ClusterFailed) -> None:
        self.info = ClusterInfo("failed", reason=event.reason)
        self._say_failed(event.reason, t("not_connected", self.lang))
        self.main_screen.refresh_views()

    def on_cluster_lost(self, event: msg.ClusterLost) -> None:
        if self.info.state == "connected":
            self.info.state, self.info.reason = "lost", event.reason
            self.notify(event.reason, title=t("lost", self.lang), severity="error", markup=False)
            self.main_screen.show_status()

    def on_cluster_restored(self, _: msg.ClusterRestored) -> None:
        if self.info.state == "lost":
            self.info.state = "connected"
            self.main_screen.show_status()

    def on_istio_version_found(self, event: msg.IstioVersionFound) -> None:
        self.info.istio, self.info.istio_read = event.version, True
        self.main_screen.show_status()

    def on_resources_changed(self, event: msg.ResourcesChanged) -> None:
        from istiotui.mesh.analysis import analyze
        from istiotui.mesh.summary import istio_version

        self.store.apply(event.events)
        if any(e.kind == "Deployment" for e in event.events):
            # istiod installed (or upgraded, or removed) while the app runs: the header follows.
            # The store's namespace index: not a walk over every object on each such event.
            found = istio_version(self.store.of_kind("Deployment", "istio-system"))
            changed = found != self.info.istio or not self.info.istio_read
            if changed and (found or "Deployment" in self.store.synced):
                self.info.istio, self.info.istio_read = found, True
                self.main_screen.show_status()
        self.live_findings = analyze(self.store.objects.values())
        self.main_screen.show_tree()
        if any(e.type in ("ADDED", "MODIFIED") for e in event.events):
            self.set_timer(MARK_SECONDS + 0.1, self.main_screen.show_tree)  # unmark what was new

    def on_diff_computed(self, event: msg.DiffComputed) -> None:
        from istiotui.ui import workers as work
        from istiotui.ui.screens.modals import ConfirmApply

        self.diff = (event.step_id, tuple(event.diffs), tuple(event.findings))
        self.diff_error = event.error
        self.main_screen.show_diff()
        if event.error:
            self._say_failed(event.error, t("apply_rejected", self.lang))
        elif event.for_apply and event.step_id == self.step.id:
            changes = "\n".join(f"{d.change}: {d.ref}" for d in event.diffs) or "—"

            def answered(yes: bool | None) -> None:
                if yes:
                    self.start(work.apply_step, self.step, group="change")

            self.push_screen(ConfirmApply(self.step.id, changes, self.lang), answered)

    def on_progress_reported(self, event: msg.ProgressReported) -> None:
        self.log_line(event.line)

    def on_step_applied(self, event: msg.StepApplied) -> None:
        if event.error:
            self.diff_error = event.error
            self.main_screen.show_tab("tab-diff")
            self.main_screen.show_diff()
            self._say_failed(event.error, t("apply_rejected", self.lang))
            self._set_state(event.step_id, StepState.FAILED)
            return
        self.log_line(f"{event.step_id}: {t('applied', self.lang)}")
        self._set_state(event.step_id, StepState.APPLIED)

    def on_step_cleaned_up(self, event: msg.StepCleanedUp) -> None:
        if event.error:
            self._say_failed(event.error)
            return
        self.log_line(f"{event.step_id}: {t('cleaned', self.lang)}")
        self._set_state(event.step_id, StepState.PENDING)

    def on_caught_up(self, event: msg.CaughtUp) -> None:
        if event.error:
            self._say_failed(event.error)
            return
        for step in self.lab.steps():
            if step.id == event.step_id:
                break
            if self.progress.state(step.id) == StepState.PENDING:
                self.progress.states[step.id] = StepState.APPLIED
        self.log_line(f"{t('caught_up', self.lang)} {event.step_id}")
        self._set_state(event.step_id, self.progress.state(event.step_id))

    def on_probe_round_finished(self, event: msg.ProbeRoundFinished) -> None:
        if event.step_id != self.step.id:
            return
        self.traffic.add(
            event.step_id, event.probe_id, event.classify, event.responses, event.elapsed
        )
        self.main_screen.show_traffic()

    def on_probe_failed(self, event: msg.ProbeFailed) -> None:
        self.probing = False
        self.traffic_error = event.reason
        self._say_failed(event.reason)
        self.main_screen.show_traffic()

    def on_verdict_reached(self, event: msg.VerdictReached) -> None:
        if event.step_id != self.step.id:
            return
        self.judged, self.traffic_error = tuple(event.judged), event.error
        self.main_screen.show_traffic()
        self._set_state(event.step_id, StepState.VERIFIED if event.passed else StepState.FAILED)
        self.log_line(f"{event.step_id}: {t('passed' if event.passed else 'failed', self.lang)}")

    def on_tunnel_changed(self, event: msg.TunnelChanged) -> None:
        if event.error is not None:
            self.log_line(f"✗ {event.tunnel.command}: {event.error}")
            self.notify(event.error, severity="error", markup=False)
        else:
            words = "tunnel_open" if event.opened else "tunnel_closed"
            self.log_line(f"{t(words, self.lang)} {event.tunnel.command}")
        self.tunnel = event.tunnel if event.opened else None
        self.main_screen.show_status()

    def on_text_fetched(self, event: msg.TextFetched) -> None:
        from istiotui.ui import workers as work
        from istiotui.ui.screens.viewer import TextViewer

        if event.refresh:  # for the viewer that asked, if it is still open
            if isinstance(self.screen, TextViewer) and self.screen.title_text == event.title:
                self.screen.replace_text(event.text)
            return
        follow = None
        if event.logs is not None:
            follow = partial(self.start, work.fetch_logs, *event.logs, True, group="read")
        self.push_screen(TextViewer(event.title, event.text, self.lang, follow))

    # -- widget events ---------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        type_into_focused_field(self.focused, event)  # typed before `/` or `:` moved the focus

    def on_paste(self, event: events.Paste) -> None:
        # A paste no widget took: on the main screen, `:…` or `/…` is typed (never in a
        # dialog, where a pasted `y` would answer it).
        if self.screen is self.main_screen:
            for key in keys_of_paste(event.text):
                self.post_message(key)
