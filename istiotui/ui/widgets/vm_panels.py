"""The Environment screen's panels: the VM table, the selected VM's details, Vagrant's output
with its progress, and the screen's key line. They draw what they are given; the screen owns
the state and the workers."""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape
from rich.text import Text
from textual.widget import Widget
from textual.widgets import DataTable, RichLog

from istiotui.lab.model import Lang
from istiotui.lab.words import word as t
from istiotui.ui.keymap import ENV, by_id, screen_actions
from istiotui.ui.widgets.keybar import key_label
from istiotui.vms import ActionProgress, MachineState, OutputLine, SshDetails

STATE_STYLES = {"running": "green", "unknown": "yellow", "not_created": "dim"}
LEVEL_STYLES = {"error": "red", "warn": "yellow", "success": "green", "detail": "dim"}
STOPPED = ("poweroff", "saved", "aborted", "shutoff", "suspended", "paused")


class VmTable(DataTable):
    """One row per VM, keyed by its name; the cursor stays on the same VM across refreshes."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)

    def show(self, machines: Sequence[MachineState], lang: Lang) -> None:
        selected = self.selected_name
        self.clear(columns=True)
        for key in ("env_col_vm", "env_col_state", "env_col_provider", "env_col_ip"):
            self.add_column(t(key, lang), key=key)
        for m in machines:
            state = Text(m.state, style=STATE_STYLES.get(m.state, ""))
            self.add_row(m.name, state, m.provider or "—", m.ip or "—", key=m.name)
        names = [m.name for m in machines]
        if selected in names:
            self.move_cursor(row=names.index(selected))

    @property
    def selected_name(self) -> str | None:
        if self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value


def details_text(machine: MachineState | None, ssh: SshDetails | str | None, lang: Lang) -> str:
    """The selected VM in words (Rich markup): SSH details when it runs, else what to do."""
    if machine is None:
        return ""
    name, state = escape(machine.name), escape(machine.state)
    if machine.state == "not_created":
        return t("env_not_created", lang, machine=name)
    if machine.state == "unknown":
        return f"[yellow]{t('env_unknown', lang, machine=name)}[/]"
    if machine.state in STOPPED:
        return t("env_stopped", lang, machine=name, state=state)
    if not machine.running:
        return t("env_other", lang, machine=name, state=state)
    if ssh is None:
        return f"[dim]{t('env_ssh_reading', lang, machine=name)}[/]"
    if isinstance(ssh, str):
        return f"[red]{escape(ssh)}[/]"
    return "\n".join(
        (
            f"[b]HostName[/] {escape(ssh.host)}  [b]Port[/] {ssh.port}  [b]User[/] "
            f"{escape(ssh.user)}",
            f"[b]IdentityFile[/] {escape(ssh.identity_file or '—')}",
            t("env_mobaxterm", lang),
        )
    )


class VmLog(RichLog):
    """Vagrant's output lines, `[machine] text`, coloured by Vagrant's level."""

    DEFAULT_CSS = "VmLog { scrollbar-size-vertical: 1; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(wrap=True, markup=False, highlight=False, max_lines=2000, **kwargs)

    def add(self, lines: Sequence[OutputLine]) -> None:
        for line in lines:
            text = Text(line.text, style=LEVEL_STYLES.get(line.level, ""))
            self.write(text)

    def note(self, line: str, style: str = "bold") -> None:
        self.write(Text(line, style=style))


def progress_text(progress: ActionProgress | None) -> str:
    """Each machine's phase, e.g. `master booting · worker1 waiting`; for one, just its phase."""
    if progress is None:
        return ""
    if len(progress.machines) == 1:
        return progress.machines[0].phase
    return " · ".join(f"{m.name} {m.phase}" for m in progress.machines)


def env_keys(lang: Lang, width: int) -> Text:
    """The screen's key line from the registry (its own keys, then help and quit)."""
    actions = [*screen_actions(ENV), by_id("app.help"), by_id("app.quit")]
    line = Text(no_wrap=True, overflow="ellipsis")
    for a in actions:
        line.append(key_label(a.keys, a.key_display), "bold reverse")
        line.append(f":{a.description(lang)} ")
    line.truncate(width, overflow="ellipsis")
    return line


class VmKeyBar(Widget):
    DEFAULT_CSS = "VmKeyBar { dock: bottom; height: 1; }"

    def __init__(self, lang: Lang, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lang: Lang = lang

    def show(self, lang: Lang) -> None:
        self.lang = lang
        self.refresh()

    def render(self) -> Text:
        return env_keys(self.lang, self.size.width)
