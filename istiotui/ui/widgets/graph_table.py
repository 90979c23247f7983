"""The traffic graph's edges as a table, one row per edge, and the selected edge in full."""

from __future__ import annotations

from collections.abc import Mapping

from textual.widgets import DataTable

from istiotui.lab.model import Lang
from istiotui.lab.words import word
from istiotui.mesh.traffic_graph import VIEW_COLUMNS, Edge, Graph, flags_text, view_row

WIDE = 120  # columns from which the edges carry their namespaces


class GraphTable(DataTable):
    """Edges, sorted as the graph gives them; the cursor stays on its edge across refreshes."""

    def __init__(self, lang: Lang = "en", **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.lang = lang
        self.edges: tuple[Edge, ...] = ()
        self.shown: tuple[Graph, Mapping[tuple, float] | None] | None = None

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        for name in VIEW_COLUMNS:
            self.add_column(column_label(name, self.lang), key=name)

    def set_language(self, lang: Lang) -> None:
        """The headers in `lang`: the columns are made again, the rows and cursor kept."""
        self.lang = lang
        if not self.is_mounted:
            return
        self.clear(columns=True)
        self._add_columns()
        if self.shown is not None:
            self.show(*self.shown)

    def show(self, graph: Graph, rates: Mapping[tuple, float] | None) -> None:
        selected = self.selected
        self.shown = (graph, rates)
        self.edges = graph.edges
        self.clear()
        wide = self.size.width >= WIDE
        for e in graph.edges:
            rps = None if rates is None else rates.get(e.key, 0.0)
            self.add_row(*view_row(e, rps, wide), key=_key(e))
        if selected is not None:
            for i, e in enumerate(self.edges):
                if e.key == selected.key:
                    self.move_cursor(row=i, animate=False)
                    break

    @property
    def selected(self) -> Edge | None:
        if not self.edges or not 0 <= self.cursor_row < len(self.edges):
            return None
        return self.edges[self.cursor_row]


# The view's headers that are words; RPS, 5XX, P50 and P99 read the same in both languages. The
# CLI's `graph -o table` keeps VIEW_COLUMNS' English.
_COLUMN_WORDS = {"EDGE": "col.edge", "FLAGS": "col.flags"}


def column_label(name: str, lang: Lang) -> str:
    key = _COLUMN_WORDS.get(name)
    return word(key, lang) if key else name


def source_text(graph: Graph, lang: Lang) -> str:
    """Where the graph's numbers came from, in `lang` when the source gave its key."""
    if not graph.source_key:
        return graph.source
    return word(graph.source_key, lang, **dict(graph.source_fields))


def _key(e: Edge) -> str:
    return f"{e.source}>{e.destination}>{e.mirrored}"


def edge_detail(edge: Edge | None, rps: float | None, lang: Lang) -> str:
    """The selected edge's numbers in full (Rich markup)."""
    es = lang == "es"
    if edge is None:
        return "Sin aristas todavía." if es else "No edges yet."
    copies = (" [i](copias del mirror)[/]" if es else " [i](mirror copies)[/]") * edge.mirrored
    lines = [
        f"[b]{edge.source.label}[/] → [b]{edge.destination.label}[/]{copies}",
        f"{'peticiones' if es else 'requests'} {edge.requests}  ·  5xx {edge.errors} "
        f"({edge.error_share:.1%})  ·  rps {'-' if rps is None else f'{rps:.2f}'}",
        f"p50 {_ms(edge.p50_ms)}  ·  p99 {_ms(edge.p99_ms)}  ·  flags {flags_text(edge.flags)}",
        f"[dim]{'clústeres' if es else 'clusters'}: {', '.join(edge.clusters) or '-'}[/]",
    ]
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:g} ms"
