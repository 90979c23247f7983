"""Namespaces → Istio objects, Services, Deployments → Pods, each with its one-line summary.

Fed from the app's `ResourceStore` (watch events): `show` asks the store what changed since the
version the tree last drew and touches only those nodes (added, relabelled, removed, moved under
another Deployment), so one event costs the same with 10 objects or 1,000. Shows within one
frame are drawn together. Expansion and the cursor stay where the learner left them; a new
filter, a store that was cleared, or a batch touching a quarter of the objects rebuilds from
scratch, which then keeps them too. Findings of the analysis appear as badges (✗ errors,
⚠ warnings). The rows themselves are `resource_rows.py`'s.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from rich.markup import escape
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from istiotui.mesh.analysis import Finding, Severity
from istiotui.mesh.summary import summarise
from istiotui.ui.store import Key, ResourceStore
from istiotui.ui.widgets import resource_rows as rr

FRAME_SECONDS = 1 / 60  # shows closer together than this are drawn as one


def badges(findings: Iterable[Finding]) -> dict[Key, str]:
    counts: dict[Key, Counter[Severity]] = {}
    for f in findings:
        counts.setdefault((f.kind, f.namespace, f.name), Counter())[f.severity] += 1
    out = {}
    for key, c in counts.items():
        parts = []
        if c[Severity.ERROR]:
            parts.append(f"[bold red]✗{c[Severity.ERROR]}[/]")
        if c[Severity.WARNING]:
            parts.append(f"[yellow]⚠{c[Severity.WARNING]}[/]")
        if c[Severity.INFO]:
            parts.append(f"[blue]i{c[Severity.INFO]}[/]")
        out[key] = " ".join(parts)
    return out


class ResourceTree(Tree[Key]):
    DEFAULT_CSS = "ResourceTree { scrollbar-size-vertical: 1; }"

    def __init__(self, **kwargs) -> None:
        super().__init__("cluster", **kwargs)
        self.show_root = False
        self.guide_depth = 2
        self._args: tuple | None = None  # the latest `show`, drawn by `flush`
        self._pending = False
        self._last_flush = -1.0
        self._forget()
        self._collapsed: set[Key] = set()  # kept across rebuilds: the learner's, not the data's

    def _forget(self) -> None:
        """What the tree holds, mirrored: rebuilt with it."""
        self._store: ResourceStore | None = None
        self._version = -1
        self._needle = ""
        self._own = rr.Ownership()
        self._rows: dict[Key, list[rr.Row]] = {}  # parent id → its children's rows, as shown
        self._node_at: dict[tuple[Key, Key], TreeNode[Key]] = {}  # (parent id, key) → node
        self._places: dict[Key, set[Key]] = {}  # key → the parent ids it is shown under
        self._drawn: dict[tuple[Key, Key], str] = {}  # (parent id, key) → its label's markup
        self._marks: dict[Key, str] = {}
        self._marked: set[Key] = set()  # drawn highlighted as new: redrawn once that ends
        self._message: str | None = None
        self._forbidden: dict[str, str] = {}

    # -- what the app calls -----------------------------------------------------------

    def show(
        self,
        store: ResourceStore,
        findings: Iterable[Finding],
        now: datetime,
        needle: str = "",
        message: str | None = None,
    ) -> None:
        self._args = (store, tuple(findings), now, needle, message)
        if not self.is_attached:
            self.flush()
            return
        clock = time.monotonic()
        wait = self._last_flush + FRAME_SECONDS - clock
        if self._last_flush < 0 or wait <= 0:
            self.flush()
        elif not self._pending:
            self._pending = True
            self.set_timer(wait, self._flush_pending)

    @property
    def pending(self) -> bool:
        """A show is waiting for the next frame (tests wait on this instead of sleeping)."""
        return self._pending

    @property
    def selected_key(self) -> Key | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def _flush_pending(self) -> None:
        if self._pending:  # else a `flush` drew it already
            self.flush()

    def flush(self) -> None:
        """Draw the latest `show` now."""
        self._pending = False
        if self._args is None:
            return
        self._last_flush = time.monotonic()
        store, findings, now, needle, message = self._args
        marks = badges(findings)
        changed = store.changed_since(self._version) if store is self._store else None
        big = changed is not None and len(changed) > max(64, len(store.objects) // 4)
        if changed is None or big or needle.lower() != self._needle:
            self._rebuild(store, marks, now, needle, message)
            return
        relabel = set(changed)
        old = self._marks
        relabel |= {k for k in marks.keys() | old.keys() if marks.get(k) != old.get(k)}
        relabel |= {k for k in self._marked if not store.is_marked(k)}
        if not changed and message == self._message and store.forbidden == self._forbidden:
            relabel |= {k for k in self._places if k[0] == "Pod"}  # a quiet show: ages move on
        self._marks = marks
        moved: set[Key] = set()
        for key in changed:
            moved |= self._own.update(store, key)
        self._version = store.version
        self._sync(store, now, message, moved, relabel)

    # -- drawing ----------------------------------------------------------------------

    def _rebuild(
        self, store: ResourceStore, marks: dict[Key, str], now: datetime, needle: str, message
    ) -> None:
        selected, line = self.selected_key, self.cursor_line
        self._remember_expansion()
        self.clear()
        self._forget()
        self._store, self._version, self._needle = store, store.version, needle.lower()
        self._marks = marks
        self._own.rebuild(store)
        self._sync(store, now, message, set(store.objects), set())
        self._follow(selected, line)

    def _sync(
        self, store: ResourceStore, now: datetime, message: str | None, moved: set[Key],
        relabel: set[Key],
    ) -> None:  # fmt: skip
        cursor, line = self.cursor_node, self.cursor_line
        old_message, old_forbidden = self._message, self._forbidden
        self._now, self._store_now = now, store
        self._message, self._forbidden = message, dict(store.forbidden)
        matches = rr.matcher(self._needle)
        namespaces = {k[1] for k in moved if rr.visible_namespace(k[1])}
        self._wanted = {ns: rr.namespace_rows(store, ns, self._own, matches) for ns in namespaces}
        shown = {p[2] for p, rows in self._rows.items() if p[0] == "Namespace" and rows}
        shown = (shown - namespaces) | {ns for ns, rows in self._wanted.items() if rows}
        self._merge(self.root, rr.ROOT, rr.root_rows(shown, store.forbidden, message is not None))
        for ns, rows in self._wanted.items():
            parent = self._node_at.get((rr.ROOT, rr.namespace_id(ns)))
            if parent is not None:
                self._merge(parent, rr.namespace_id(ns), rows)
        for key in moved:
            if key[0] == "Deployment":
                for place in tuple(self._places.get(key, ())):
                    rows = rr.deployment_rows(key, self._own)
                    self._merge(self._node_at[(place, key)], key, rows)
        for key in relabel:
            # A namespace's node shares its key with the Namespace object, but not its label.
            if key in self._places and key in store.objects and key[0] != "Namespace":
                self._relabel(key)
        self._relabel_notes(old_message, old_forbidden)
        if not self.root.is_expanded:  # expanding again would lay every line out again
            self.root.expand()
        if cursor is not None and cursor.id not in self._tree_nodes:
            self._follow(cursor.data, line)  # its node went: a Pod moved, say

    def _follow(self, key: Key | None, line: int) -> None:
        """The cursor onto `key`'s (first) node, else onto the line it was on."""
        last = self.last_line  # lays the lines out: a new node has no line before
        places = sorted(self._places.get(key, ())) if key is not None else []
        if places:
            self.move_cursor(self._node_at[(places[0], key)])
        elif line >= 0 and last >= 0:
            self.move_cursor_to_line(min(line, last))

    def _relabel_notes(self, old_message: str | None, old_forbidden: dict[str, str]) -> None:
        node = self._node_at.get((rr.ROOT, rr.MESSAGE))
        if node is not None and self._message != old_message:
            node.set_label(self._message or "")
        for kind, why in self._forbidden.items():
            node = self._node_at.get((rr.ROOT, rr.forbidden_id(kind)))
            if node is not None and old_forbidden.get(kind) != why:
                node.set_label(self._forbidden_line(kind))

    def _merge(self, parent: TreeNode[Key], parent_id: Key, wanted: list[rr.Row]) -> None:
        """Make `parent`'s children the `wanted` rows: both are sorted, so one walk finds what
        to remove and where to insert; rows in both keep their node (and its state)."""
        current = self._rows.get(parent_id, [])
        if current == wanted:
            return
        i = j = 0
        position = 0
        while i < len(current) or j < len(wanted):
            if j >= len(wanted) or (i < len(current) and current[i] < wanted[j]):
                self._drop(parent_id, current[i][1])
                i += 1
            elif i >= len(current) or wanted[j] < current[i]:
                self._insert(parent, parent_id, position, wanted[j][1])
                j += 1
                position += 1
            else:
                i += 1
                j += 1
                position += 1
        self._rows[parent_id] = list(wanted)

    def _insert(self, parent: TreeNode[Key], parent_id: Key, position: int, key: Key) -> None:
        kind = key[0]
        if kind in ("Message", "Forbidden"):
            text = self._message if kind == "Message" else self._forbidden_line(key[2])
            node = parent.add_leaf(text or "", None, before=position)
        elif kind in ("Namespace", "Deployment"):
            text = f"[b]{escape(key[2])}[/]" if kind == "Namespace" else self._label_of(key)
            node = parent.add(text, key, before=position, expand=key not in self._collapsed)
        else:
            text = self._label_of(key)
            node = parent.add_leaf(text, key, before=position)
        self._node_at[(parent_id, key)] = node
        self._drawn[(parent_id, key)] = text or ""
        self._places.setdefault(key, set()).add(parent_id)
        if kind == "Namespace":
            namespace = key[2]
            rows = self._wanted.get(namespace)
            if rows is None:
                rows = rr.namespace_rows(self._store_now, namespace, self._own,
                                         rr.matcher(self._needle))  # fmt: skip
            self._merge(node, key, rows)
        elif kind == "Deployment":
            self._merge(node, key, rr.deployment_rows(key, self._own))

    def _drop(self, parent_id: Key, key: Key) -> None:
        node = self._node_at[(parent_id, key)]
        self._forget_below(parent_id, key)
        if node.allow_expand:
            self._note_expansion(node)
        node.remove()

    def _forget_below(self, parent_id: Key, key: Key) -> None:
        """Drop the bookkeeping of `key`'s node under `parent_id` and of everything under it."""
        self._node_at.pop((parent_id, key), None)
        self._drawn.pop((parent_id, key), None)
        places = self._places.get(key)
        if places is not None:
            places.discard(parent_id)
            if not places:
                del self._places[key]
                self._marked.discard(key)
        for _, child in self._rows.pop(key, []) if key[0] in ("Namespace", "Deployment") else []:
            self._forget_below(key, child)

    def _label_of(self, key: Key) -> str:
        store = self._store_now
        obj = store.objects[key]
        summary = escape(summarise(obj, self._now))
        text = f"[b]{escape(key[0])}[/] {escape(key[2])}  [dim]{summary}[/]"
        if key in self._marks:
            text += f" {self._marks[key]}"
        if store.is_marked(key):
            text = f"[reverse]{text}[/]"
            self._marked.add(key)
        else:
            self._marked.discard(key)
        return text

    def _relabel(self, key: Key) -> None:
        text = self._label_of(key)
        for place in self._places[key]:
            if self._drawn[(place, key)] != text:
                self._drawn[(place, key)] = text
                self._node_at[(place, key)].set_label(text)

    def _forbidden_line(self, kind: str) -> str:
        return f"[red]{escape(kind)}: {escape(self._forbidden.get(kind, ''))}[/]"

    # -- the learner's expansion ----------------------------------------------------------

    def _note_expansion(self, node: TreeNode[Key]) -> None:
        if node.data is None:
            return
        if node.is_expanded:
            self._collapsed.discard(node.data)
        else:
            self._collapsed.add(node.data)

    def _remember_expansion(self) -> None:
        for node in self._node_at.values():
            if node.allow_expand:
                self._note_expansion(node)

    def get_label_width(self, node: TreeNode[Key]) -> int:
        # Tree's own renders every label again on each layout: at 1,000 nodes that is most of
        # an update. The icon is two cells wide (ICON_NODE, ICON_NODE_EXPANDED).
        return node.label.cell_len + (2 if node.allow_expand else 0)
