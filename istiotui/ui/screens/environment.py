"""The Environment screen: the lab's VMs through Vagrant (`istiotui/vms`), key `e`.

It always opens: without a Vagrantfile, without `vagrant` or without a usable provider it says
why where the machines would be. Vagrant runs only in thread workers that post messages
(`messages.py`); the screen keeps the state and draws it. The app installs one instance, so
Vagrant's output is still there when the learner comes back. A running action holds the screen:
escape (or x) cancels it first.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import ClassVar

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, ProgressBar, Static

from istiotui.lab.model import Lang
from istiotui.lab.words import word as t
from istiotui.ui import messages as msg
from istiotui.ui.keymap import ENV, by_id, screen_actions
from istiotui.ui.widgets.vm_panels import (
    VmKeyBar,
    VmLog,
    VmTable,
    details_text,
    progress_text,
)
from istiotui.vms import (
    ActionFinished,
    ActionRun,
    MachineState,
    OutputLine,
    ProgressChanged,
    SshDetails,
    VagrantAction,
    VagrantLab,
    VmError,
)
from istiotui.vms.process_tree import for_platform

ENVIRONMENT = ENV  # the name the app installs the screen under
# At exit Vagrant gets this long to stop on its own before its group is terminated.
EXIT_INTERRUPT_GRACE_S = 5.0


def vagrant_command(action: str, machine: str | None) -> str:
    return f"vagrant {action}" + (f" {machine}" if machine else "")


def _bindings() -> list[Binding]:
    """The screen's keys, from the registry: its own (the app runs them on it), moving, help
    and quit. The screen is modal, so the main screen's keys do not act behind it."""
    own = [
        Binding(a.keys, f"app.{a.action}", a.en, show=False, id=a.id) for a in screen_actions(ENV)
    ]
    moving = [by_id("nav.down"), by_id("nav.up")]
    own += [Binding(a.keys, a.action, a.en, show=False, id=a.id) for a in moving]
    app_wide = [by_id("app.help"), by_id("app.quit")]
    own += [Binding(a.keys, f"app.{a.action}", a.en, show=False, id=a.id) for a in app_wide]
    return own


class ConfirmVmAction(ModalScreen[bool]):
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape,n", "answer(False)", "No"),
        Binding("y", "answer(True)", "Yes"),
    ]

    def __init__(self, question: str, lang: Lang) -> None:
        super().__init__()
        self.question, self.lang = question, lang

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.question, id="question")
            with Horizontal(id="buttons"):
                yield Button(t("env_yes", self.lang), variant="primary", id="yes")
                yield Button(t("no", self.lang), id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # long or destructive: the safe answer first

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class EnvironmentScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[Binding]] = _bindings()

    def __init__(
        self,
        open_lab: Callable[[], VagrantLab] | None = VagrantLab,
        platform: str = sys.platform,
    ) -> None:
        """`open_lab=None` keeps it offline: it shows only what messages tell it (snapshots).
        `platform` is the host's `sys.platform`: on Windows a cancel cannot let Vagrant finish
        its step (istiotui/vms/process_tree.py), and the screen says so."""
        super().__init__(id="environment")
        self.open_lab = open_lab
        self.graceful_cancel = for_platform(platform).graceful
        self.lang: Lang = "en"
        self.machines: tuple[MachineState, ...] = ()
        self.problem: str | None = None
        self.root: str | None = None
        self.reading = open_lab is not None
        self.ssh: dict[str, SshDetails | str] = {}
        self.target_all = False
        self.busy = False  # from the key press until ActionFinished
        self.run: ActionRun | None = None
        self.running: tuple[str, str | None] | None = None  # (action, machine)
        self.cancelling = False
        self.phase_shown = False  # the phase line says more than "no action running"

    # -- layout and drawing ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self.lang = self.app.lang
        with Vertical(id="env"):
            yield Static(id="env-head")
            yield Static(id="env-problem", classes="hidden")
            yield VmTable(id="vm-table")
            yield Static(id="vm-details")
            with Horizontal(id="vm-run"):
                yield Static(t("env_idle", self.lang), id="vm-phase")
                yield ProgressBar(total=100, show_eta=False, id="vm-progress")
            yield VmLog(id="vm-log")
        yield VmKeyBar(self.lang, id="vm-keys")

    def on_mount(self) -> None:
        self.draw()
        self.query_one(VmTable).focus()
        if self.open_lab is not None:
            self.read_status()

    def set_language(self, lang: Lang) -> None:
        self.lang = lang
        if self.query(VmKeyBar):  # composed already (else compose reads the app's)
            self.query_one(VmKeyBar).show(lang)
            if not self.phase_shown:
                self.query_one("#vm-phase", Static).update(t("env_idle", lang))
            self.draw()

    @property
    def selected(self) -> MachineState | None:
        name = self.query_one(VmTable).selected_name
        return next((m for m in self.machines if m.name == name), None)

    def draw(self) -> None:
        self.query_one(VmTable).show(self.machines, self.lang)
        self.draw_head()
        self.draw_details()

    def draw_head(self) -> None:
        lang = self.lang
        where = escape(self.root) if self.root else t("env_no_folder", lang)
        if self.target_all or self.selected is None:
            target = t("env_target_all", lang)
        else:
            target = t("env_target_one", lang, machine=escape(self.selected.name))
        head = f"[b]{t('env_title', lang)}[/] · {where} · {target}"
        if self.reading:
            head += f" · [dim]{t('env_reading', lang)}[/]"
        self.query_one("#env-head", Static).update(head)
        problem = self.query_one("#env-problem", Static)
        problem.update(f"[red]✗ {escape(self.problem)}[/]" if self.problem else "")
        problem.set_class(not self.problem, "hidden")

    def draw_details(self) -> None:
        machine = self.selected
        ssh = self.ssh.get(machine.name) if machine is not None else None
        self.query_one("#vm-details", Static).update(details_text(machine, ssh, self.lang))

    def draw_progress(self, fraction: float | None, line: str) -> None:
        self.phase_shown = True
        self.query_one("#vm-phase", Static).update(line)
        bar = self.query_one(ProgressBar)
        if fraction is not None:
            bar.update(progress=round(fraction * 100, 1))

    def _want_ssh(self) -> None:
        machine = self.selected
        if (
            self.open_lab is not None
            and machine is not None
            and machine.running
            and machine.name not in self.ssh
        ):
            self.read_ssh(machine.name)

    # -- what the workers report ------------------------------------------------------------

    def on_vm_status_read(self, event: msg.VmStatusRead) -> None:
        self.machines, self.problem, self.root = tuple(event.machines), event.problem, event.root
        self.reading = False
        running = {m.name for m in self.machines if m.running}
        self.ssh = {name: d for name, d in self.ssh.items() if name in running}
        self.draw()
        self._want_ssh()

    def on_vm_ssh_details_read(self, event: msg.VmSshDetailsRead) -> None:
        self.ssh[event.machine] = event.details if event.details is not None else event.error
        self.draw_details()

    def on_vm_action_started(self, event: msg.VmActionStarted) -> None:
        self.running = (event.action, event.machine)
        command = event.command or vagrant_command(event.action, event.machine)
        self.query_one(VmLog).note(f"$ {command}")
        self.draw_progress(0.0, self._run_line("…"))

    def on_vm_lines_printed(self, event: msg.VmLinesPrinted) -> None:
        self.query_one(VmLog).add(event.lines)

    def on_vm_progress_changed(self, event: msg.VmProgressChanged) -> None:
        if not self.cancelling:
            line = self._run_line(progress_text(event.progress))
            self.draw_progress(event.progress.fraction, line)

    def on_vm_action_finished(self, event: msg.VmActionFinished) -> None:
        self.busy, self.run, self.running, self.cancelling = False, None, None, False
        command = vagrant_command(event.action, event.machine)
        done = event.finished
        fraction = done.progress.fraction if done is not None else None
        if done is not None and done.ok:
            line = t("env_done", self.lang, command=command)
            self.draw_progress(fraction, f"[green]✓ {escape(line)}[/]")
        elif done is not None and done.cancelled:
            line = t("env_cancelled", self.lang, command=command)
            self.draw_progress(fraction, f"[yellow]{escape(line)}[/]")
        else:
            error = (done.error if done is not None else event.error) or "?"
            line = t("env_failed", self.lang, command=command, error=error)
            self.draw_progress(fraction, f"[red]✗ {escape(line)}[/]")
            self.notify(error, title=f"vagrant {event.action}", severity="error", markup=False)
        self.query_one(VmLog).note(line)
        if self.open_lab is not None:
            self.read_status()  # the action changed the machines' states

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self.draw_head()  # not the table: redrawing it would highlight a row again
        self.draw_details()
        self._want_ssh()

    def _run_line(self, phase: str) -> str:
        command = vagrant_command(*self.running) if self.running else "vagrant"
        return escape(t("env_running", self.lang, command=command, phase=phase))

    # -- the keys -------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        self.query_one(VmTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(VmTable).action_cursor_up()

    def action_vm_up(self) -> None:
        self._confirm_then(VagrantAction.UP, "env_confirm_up")

    def action_vm_halt(self) -> None:
        self._confirm_then(VagrantAction.HALT, "env_confirm_halt")

    def action_vm_provision(self) -> None:
        self._start(VagrantAction.PROVISION)

    def action_vm_target(self) -> None:
        self.target_all = not self.target_all
        self.draw_head()

    def action_vm_status(self) -> None:
        if self.open_lab is not None:
            self.reading = True
            self.draw_head()
            self.read_status()

    def action_vm_ssh(self) -> None:
        machine = self.selected
        if machine is None:
            self.notify(t("env_no_machine", self.lang), severity="warning")
            return
        details = self.ssh.get(machine.name)
        if not isinstance(details, SshDetails):
            self.notify(t("env_no_ssh", self.lang, machine=machine.name), severity="warning")
            return
        command = " ".join(details.command())
        self.app.copy_to_clipboard(command)
        self.query_one(VmLog).note(t("env_copied", self.lang, command=command), "")
        self.notify(t("env_copied", self.lang, command=command))

    def action_vm_cancel(self) -> None:
        if self.run is None:
            self.notify(t("env_nothing", self.lang), severity="warning")
            return
        if not self.cancelling:
            self.cancelling = True
            words = t("env_cancelling" if self.graceful_cancel else "env_cancelling_now", self.lang)
            self.draw_progress(None, f"[yellow]{escape(words)}[/]")
            self.query_one(VmLog).note(words, "yellow")  # kept: the phase line moves on
            self.cancel_run(self.run)

    def action_vm_back(self) -> None:
        if self.run is not None:
            self.action_vm_cancel()  # escape stops the action first; pressed again, it leaves
        else:
            self.dismiss()

    def _machine(self) -> str | None:
        return None if self.target_all or self.selected is None else self.selected.name

    def _confirm_then(self, action: VagrantAction, question: str) -> None:
        if not self._can_start():
            return
        machine = self._machine()
        what = machine or t("env_all", self.lang)
        question = t(question, self.lang, args=f" {machine}" if machine else "", what=what)

        def answered(yes: bool | None) -> None:
            if yes:
                self._start(action)

        confirm = ConfirmVmAction(escape(question), self.lang)
        self.app.push_screen(confirm, answered)

    def _can_start(self) -> bool:
        if self.busy:
            self.notify(t("env_busy", self.lang), severity="warning")
            return False
        if not self.target_all and self.selected is None:
            self.notify(t("env_no_machine", self.lang), severity="warning")
            return False
        return True

    def _start(self, action: VagrantAction) -> None:
        if not self._can_start() or self.open_lab is None:
            return
        self.busy = True
        self.run_vagrant(action, self._machine())

    def on_unmount(self) -> None:
        # The app is closing: stop Vagrant now, so that the worker's thread ends and the exit
        # does not wait for a 20-minute `up` (the vms layer's exit hook is the last resort).
        if self.run is not None:
            self.run.cancel(interrupt_grace=EXIT_INTERRUPT_GRACE_S)

    # -- workers: Vagrant runs in threads, never on the screen's loop -----------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="vagrant-status")
    def read_status(self) -> None:
        try:
            lab = self.open_lab()
        except VmError as exc:  # no Vagrantfile here
            self.post_message(msg.VmStatusRead((), str(exc), None))
            return
        status = lab.status()
        self.post_message(msg.VmStatusRead(status.machines, status.problem, str(lab.root)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="vagrant-ssh")
    def read_ssh(self, machine: str) -> None:
        try:
            details = self.open_lab().ssh_details(machine)
        except VmError as exc:
            self.post_message(msg.VmSshDetailsRead(machine, None, str(exc)))
            return
        self.post_message(msg.VmSshDetailsRead(machine, details))

    @work(thread=True, exclusive=True, exit_on_error=False, group="vagrant")
    def run_vagrant(self, action: VagrantAction, machine: str | None) -> None:
        try:
            run = self.open_lab().start(action, machine)
        except (VmError, OSError) as exc:
            self.post_message(msg.VmActionFinished(str(action), machine, None, str(exc)))
            return
        # Handed over here, not in a message: a quit before the message is handled still finds
        # it to stop (`on_unmount`).
        self.run = run
        command = " ".join(["vagrant", *run.argv[1:]])
        self.post_message(msg.VmActionStarted(str(action), machine, command))
        try:
            with run:
                for event in run.events():
                    if isinstance(event, OutputLine):
                        self.post_message(msg.VmLinesPrinted((event,)))
                    elif isinstance(event, ProgressChanged):
                        self.post_message(msg.VmProgressChanged(event.progress))
                    elif isinstance(event, ActionFinished):
                        self.post_message(msg.VmActionFinished(str(action), machine, event))
        except OSError as exc:  # Vagrant's output could not be read: the run is stopped
            self.post_message(msg.VmActionFinished(str(action), machine, None, str(exc)))

    @work(thread=True, exit_on_error=False, group="vagrant-cancel")
    def cancel_run(self, run: ActionRun) -> None:
        run.cancel()  # a Ctrl-C (Ctrl-Break on Windows), and up to half a minute to clean up
