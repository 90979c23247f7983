"""The Proxies screen: every proxy's sync state, and one pod's proxy configuration.

What `istiotui proxy-status` and `istiotui proxy-config` print, as tables that scroll both ways
(80×24 holds a few columns; the rest is a sideways scroll away). `o` opens it: on a pod selected
in the resource tree, with that pod's configuration; elsewhere, with the status of every proxy,
where Enter on a row shows that proxy's configuration. The data comes from the commands' own
functions (lab/explain.py: exec of `pilot-discovery request GET /debug/syncz` in istiod and of
`pilot-agent request GET config_dump` in the pod), read in thread workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static, TabbedContent, TabPane

from istiotui.lab.model import Lang
from istiotui.lab.words import word
from istiotui.ui.keymap import PROXIES, bindings, speak

if TYPE_CHECKING:
    from istiotui.lab.session import Session
    from istiotui.ui.app import IstioTui

TABS = ("status", "listeners", "routes", "clusters", "endpoints")
STATE_STYLES = {"SYNCED": "green", "NOT SENT": "dim"}  # anything else is STALE: red
WORDS: dict[str, tuple[str, str]] = {
    "title": ("Proxies", "Proxies"),
    "keys": (
        "1-5: pestaña · Enter: su configuración · r: releer · ←→: desplazar · Esc",
        "1-5: tab · Enter: its configuration · r: read again · ←→: scroll · Esc",
    ),
    "status": ("Estado", "Status"),
    "listeners": ("Listeners", "Listeners"),
    "routes": ("Rutas", "Routes"),
    "clusters": ("Clusters", "Clusters"),
    "endpoints": ("Endpoints", "Endpoints"),
    "reading": ("leyendo…", "reading…"),
    "no_pod": (
        "Enter en una fila de Estado muestra la configuración de ese proxy",
        "Enter on a Status row shows that proxy's configuration",
    ),
    "config_of": ("configuración de", "configuration of"),
    "none": ("(ninguno)", "(none)"),
}


def w(key: str, lang: Lang) -> str:
    es, en = WORDS[key]
    return es if lang == "es" else en


@dataclass
class Tables:
    """What one read gave: rows per tab (the commands' JSON rows), or why there are none."""

    what: str  # "status" or "config"
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    proxy: str | None = None
    error: str | None = None


def read_status(session: Session) -> Tables:
    """`istiotui proxy-status`'s rows (blocks on the cluster: call it from a worker)."""
    from istiotui.cluster.errors import ClusterError
    from istiotui.lab.explain import ExplainError, proxy_status

    try:
        return Tables("status", {"status": proxy_status(session)})
    except (ExplainError, ClusterError) as exc:
        return Tables("status", error=f"proxy-status: {exc}")


def read_config(session: Session, ref: str) -> Tables:
    """`istiotui proxy-config REF`'s rows, one list per type (blocks: call it from a worker)."""
    from istiotui.cluster.errors import ClusterError
    from istiotui.lab.explain import ExplainError, proxy_config
    from istiotui.mesh.explain.summary import TYPES, rows

    try:
        proxy, cfg = proxy_config(session, ref, "default")
    except (ExplainError, ClusterError) as exc:
        return Tables("config", error=f"proxy-config {ref}: {exc}")
    return Tables("config", {kind: rows(cfg, kind) for kind in TYPES}, proxy=proxy.name)


def ref_of(proxy: str) -> str:
    """`POD.NAMESPACE` (istiod's proxy id) → `NAMESPACE/POD`."""
    pod, _, namespace = proxy.rpartition(".")
    return f"{namespace}/{pod}" if pod else proxy


def cell(column: str, value: Any) -> str | Text:
    text = str(value)
    if column in ("cds", "lds", "eds", "rds"):
        return Text(text, style=STATE_STYLES.get(text, "bold red"))
    return text


class ProxyScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[Binding]] = bindings("en", PROXIES)  # `1`…`5`: the TABS in order
    KEYMAP_SCREEN = PROXIES  # the palette lists its keys over it
    # The whole terminal: at 80×24 every line counts (the tables scroll sideways for the rest).
    DEFAULT_CSS = """
    ProxyScreen #proxies { width: 100%; height: 100%; background: $surface; padding: 0 1; }
    ProxyScreen #proxies-head { width: 1fr; }
    ProxyScreen #proxies-note { height: auto; color: $text-muted; }
    ProxyScreen TabbedContent { height: 1fr; }
    ProxyScreen TabPane { padding: 0; }
    ProxyScreen DataTable { height: 1fr; }
    """

    def __init__(self, session: Session, lang: Lang = "en", pod: str | None = None) -> None:
        """`pod`: NAMESPACE/POD whose configuration to show at once (None: the status tab)."""
        super().__init__()
        speak(self, lang)
        self.session, self.lang, self.pod = session, lang, pod
        self.proxy: str | None = None  # whose configuration the tabs hold
        self.errors: dict[str, str] = {}  # the last read's error, per kind of read
        self.noted: tuple[str, str] = ("reading", "")  # the note: a WORDS key, then what follows

    def compose(self) -> ComposeResult:
        with Vertical(id="proxies"):
            yield Label(self._head(), id="proxies-head")
            yield Static(self._note_text(), id="proxies-note", markup=False)
            with TabbedContent(initial="listeners" if self.pod else "status"):
                for tab in TABS:
                    with TabPane(w(tab, self.lang), id=tab):
                        yield DataTable(id=f"proxies-{tab}", cursor_type="row", zebra_stripes=True)

    def _head(self) -> str:
        return f"[b]{w('title', self.lang)}[/]   [dim]{w('keys', self.lang)}[/]"

    def set_language(self, lang: Lang) -> None:
        """`L` or the palette while it is shown: its keys, tabs and note follow."""
        self.lang = lang
        speak(self, lang)
        if not self.is_mounted:  # composed later, in `lang`
            return
        self.query_one("#proxies-head", Label).update(self._head())
        tabs = self.query_one(TabbedContent)
        for tab in TABS:
            tabs.get_tab(tab).label = w(tab, lang)
        self.note(*self.noted)
        self.refresh_bindings()

    def on_mount(self) -> None:
        self.action_read_again()

    def action_read_again(self) -> None:
        self.load_status()
        if self.pod is not None:
            self.load_config(self.pod)
        self.focus_table()

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self.focus_table()

    def focus_table(self) -> None:
        active = self.query_one(TabbedContent).active or TABS[0]
        self.query_one(f"#proxies-{active}", DataTable).focus()

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.focus_table()

    @on(DataTable.RowSelected, "#proxies-status")
    def _status_row_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.pod = ref_of(event.row_key.value)
            self.note("reading")
            self.load_config(self.pod)
            self.action_show_tab("listeners")

    @work(thread=True, exclusive=True, exit_on_error=False, group="proxy-status")
    def load_status(self) -> None:
        found = read_status(self.session)
        self.app.call_from_thread(self.show, found)

    @work(thread=True, exclusive=True, exit_on_error=False, group="proxy-config")
    def load_config(self, ref: str) -> None:
        found = read_config(self.session, ref)
        self.app.call_from_thread(self.show, found)

    def note(self, key: str, then: str = "") -> None:
        """The line under the head: WORDS' `key` (none: "") and `then`, an error or a name."""
        self.noted = (key, then)
        self.query_one("#proxies-note", Static).update(self._note_text())

    def _note_text(self) -> str:
        key, then = self.noted
        return " ".join(part for part in (w(key, self.lang) if key else "", then) if part)

    def show(self, found: Tables) -> None:
        if not self.is_attached:  # closed while its read was under way
            return
        if found.proxy is not None:
            self.proxy = found.proxy
        for tab, items in found.rows.items():
            table = self.query_one(f"#proxies-{tab}", DataTable)
            where = table.cursor_row  # kept across a read again (`r`)
            table.clear(columns=True)
            if not items:
                table.add_column(w("none", self.lang))
                continue
            for column in items[0]:
                table.add_column(column.upper().replace("_", " "), key=column)
            seen: set[str] = set()
            for i, row in enumerate(items):
                key = str(row["name"]) if tab == "status" else str(i)
                if key in seen:  # one proxy told of by two istiods: once is enough
                    continue
                seen.add(key)
                table.add_row(*(cell(c, row.get(c, "")) for c in items[0]), key=key)
            table.move_cursor(row=min(where, table.row_count - 1))
        if found.error is not None:
            self.errors[found.what] = found.error
        else:
            self.errors.pop(found.what, None)
        if self.errors:
            self.note("", "\n".join(self.errors.values()))
        elif self.proxy is not None:
            self.note("config_of", self.proxy)
        else:
            self.note("no_pod")


def open_proxies(app: IstioTui) -> None:
    """`o`: the selected pod's proxy configuration, else every proxy's status."""
    if app.backend is None:
        app.notify(word("needs_cluster", app.lang), severity="warning")
        return
    key = app.main_screen.selected() if app.main_screen else None
    pod = f"{key[1]}/{key[2]}" if key is not None and key[0] == "Pod" else None
    app.push_screen(ProxyScreen(app.backend.session, app.lang, pod))
