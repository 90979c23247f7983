"""The Graph view: who calls whom, read from the proxies' own statistics, refreshed every second.

The screen is handed a `fetch` callable (the session's graph; it blocks on the cluster) and runs
it in a thread worker on a timer, so keys stay live while the proxies are read. Requests per
second come from the two latest snapshots; everything else is cumulative since each proxy
started, as the proxies count it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import ClassVar

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from istiotui.lab.model import Lang
from istiotui.lab.words import word
from istiotui.mesh.traffic_graph import Graph, rates
from istiotui.ui.keymap import GRAPH, bindings, speak
from istiotui.ui.widgets.graph_table import GraphTable, edge_detail, source_text
from istiotui.ui.widgets.keybar import KeyBar

REFRESH_SECONDS = 1.0
Fetch = Callable[[], Graph]


class GraphScreen(ModalScreen[None]):
    """Modal, so that the app's keys (apply, clean up…) do not act behind it; it binds its own
    and the app's that mean something here (`?`, `q`, `:`, `L`: the keymap's `also_on`)."""

    BINDINGS: ClassVar[list[Binding]] = bindings("en", GRAPH)  # `speak` puts them in the language
    KEYMAP_SCREEN = GRAPH  # the palette lists its keys over it
    DEFAULT_CSS = """
    GraphScreen { layout: vertical; }
    /* wraps rather than cut: a real cluster's source or a namespace makes it longer than 80 */
    GraphScreen #graph-title { height: auto; max-height: 3; padding: 0 1; background: $panel; }
    GraphScreen GraphTable { height: 1fr; }
    GraphScreen #graph-detail { height: 5; padding: 0 1; border-top: solid $panel; }
    """

    def __init__(
        self,
        fetch: Fetch | None,
        lang: Lang = "en",
        namespace: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        kiali: Callable[[], str] | None = None,
    ) -> None:
        super().__init__()
        speak(self, lang)
        self.fetch, self.lang, self.namespace, self.clock = fetch, lang, namespace, clock
        self.kiali = kiali  # `istioctl dashboard kiali`: a port-forward's URL (blocks)
        self.previous: tuple[Graph, float] | None = None
        self.rates: Mapping[tuple, float] | None = None
        self.error: str | None = None
        self.reading = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title(None), id="graph-title")
            yield GraphTable(self.lang, id="graph-table")
            yield Static(edge_detail(None, None, self.lang), id="graph-detail")
        yield KeyBar(self.lang, GRAPH, id="graph-keys")

    def on_mount(self) -> None:
        self.query_one(GraphTable).focus()
        if self.fetch is not None:
            self.tick()
            self.set_interval(REFRESH_SECONDS, self.tick)

    def tick(self) -> None:
        # A read slower than the interval (exec in every pod of a big real cluster) is not
        # piled up on: the next starts when it is done.
        if not self.reading:
            self.reading = True
            self.read_graph()

    @work(thread=True, exit_on_error=False, group="graph")
    def read_graph(self) -> None:
        assert self.fetch is not None
        try:
            graph = self.fetch()
        except Exception as exc:  # the cluster went away: say so, keep the last numbers
            self.app.call_from_thread(self.failed, str(exc) or type(exc).__name__)
            return
        finally:
            self.reading = False
        self.app.call_from_thread(self.show, graph, self.clock())

    def set_language(self, lang: Lang) -> None:
        """`L` (or the palette) while the view is shown: its keys and words follow."""
        self.lang = lang
        speak(self, lang)
        if not self.is_mounted:  # composed later, in `lang`
            return
        self.query_one(KeyBar).show(lang)
        self.query_one(GraphTable).set_language(lang)
        self.query_one("#graph-title", Static).update(self._title(self._graph()))
        self._detail()
        self.refresh_bindings()

    def _graph(self) -> Graph | None:
        return self.previous[0] if self.previous is not None else None

    def failed(self, why: str) -> None:
        self.error = why
        self.query_one("#graph-title", Static).update(self._title(None))

    def show(self, graph: Graph, at: float) -> None:
        """A new snapshot: rates against the one before, the table, the selected edge."""
        self.error = None
        if self.previous is not None:
            before, then = self.previous
            self.rates = rates(graph, before, at - then)
        self.previous = (graph, at)
        self.query_one("#graph-title", Static).update(self._title(graph))
        self.query_one(GraphTable).show(graph, self.rates)
        self._detail()

    def _title(self, graph: Graph | None) -> str:
        es = self.lang == "es"
        head = "[b]Grafo[/]" if es else "[b]Graph[/]"
        where = f" · ns {self.namespace}" if self.namespace else ""
        if self.error:
            return f"{head}{where} · [red]{escape(self.error)}[/]"  # its words, not markup
        if graph is None and self.fetch is None:
            return f"{head}{where} · " + word("offline", self.lang)
        if graph is None:
            return f"{head}{where} · " + ("leyendo los proxies…" if es else "reading the proxies…")
        since = "totales desde el arranque" if es else "totals since start"
        source = escape(source_text(graph, self.lang))  # its words, not markup
        return f"{head}{where} · {source} · {graph.proxies} proxies · {since}"

    def _detail(self) -> None:
        table = self.query_one(GraphTable)
        edge = table.selected
        rps = None if edge is None or self.rates is None else self.rates.get(edge.key, 0.0)
        self.query_one("#graph-detail", Static).update(edge_detail(edge, rps, self.lang))

    def on_data_table_row_highlighted(self, _: GraphTable.RowHighlighted) -> None:
        self._detail()

    def action_kiali(self) -> None:
        if self.kiali is None:
            self.notify(word("offline", self.lang), severity="warning")
        else:
            self.open_kiali()

    @work(thread=True, exit_on_error=False, group="kiali")
    def open_kiali(self) -> None:
        assert self.kiali is not None
        try:
            text, severity = f"Kiali: {self.kiali()}", "information"
        except Exception as exc:  # not installed (the message says what instead), no pod, …
            # An exception without words (a bare timeout) still says what it was.
            text, severity = str(exc) or f"Kiali: {type(exc).__name__}", "warning"
        self.app.call_from_thread(self.notify, text, severity=severity, timeout=15, markup=False)

    def action_move(self, step: int) -> None:
        table = self.query_one(GraphTable)
        if step > 0:
            table.action_cursor_down()
        else:
            table.action_cursor_up()
