"""Namespaces → Istio objects, Services, Deployments → Pods, each with its one-line summary.

Rebuilt from the app's `ResourceStore` (fed by watch events); the cursor stays on the same
object across rebuilds. Findings of the analysis appear as badges (✗ errors, ⚠ warnings).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from rich.markup import escape
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from istiotui.mesh.analysis import Finding, Severity
from istiotui.mesh.labels import selects
from istiotui.mesh.summary import summarise
from istiotui.ui.store import Key, ResourceStore, key_of

SHOWN_KINDS = ("Gateway", "VirtualService", "DestinationRule", "ServiceEntry", "Service")
SKIPPED_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")


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

    def _label(self, obj: dict, store: ResourceStore, marks: dict[Key, str], now: datetime) -> str:
        key = key_of(obj)
        text = f"[b]{escape(key[0])}[/] {escape(key[2])}  [dim]{escape(summarise(obj, now))}[/]"
        if key in marks:
            text += f" {marks[key]}"
        if store.is_marked(key):
            text = f"[reverse]{text}[/]"
        return text

    def show(
        self,
        store: ResourceStore,
        findings: Iterable[Finding],
        now: datetime,
        needle: str = "",
        message: str | None = None,
    ) -> None:
        selected = self.cursor_node.data if self.cursor_node else None
        self.clear()
        if message:
            self.root.add_leaf(message)
        marks = badges(findings)
        needle = needle.lower()
        keep: TreeNode[Key] | None = None

        def matches(obj: dict) -> bool:
            return not needle or needle in key_of(obj)[2].lower()

        for namespace in store.namespaces():
            if namespace in SKIPPED_NAMESPACES:
                continue
            ns_node = self.root.add(
                f"[b]{escape(namespace)}[/]", data=("Namespace", "", namespace), expand=True
            )
            for kind in SHOWN_KINDS:
                for obj in store.of_kind(kind, namespace):
                    if matches(obj):
                        node = ns_node.add_leaf(self._label(obj, store, marks, now), key_of(obj))
                        keep = node if key_of(obj) == selected else keep
            pods = store.of_kind("Pod", namespace)
            owned: set[Key] = set()
            for dep in store.of_kind("Deployment", namespace):
                selector = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels")
                children = [
                    p
                    for p in pods
                    if selects(
                        selector, (p.get("metadata") or {}).get("labels"), empty_selects_all=False
                    )
                ]
                owned |= {key_of(p) for p in children}
                if not (matches(dep) or any(matches(p) for p in children)):
                    continue
                dep_node = ns_node.add(
                    self._label(dep, store, marks, now), key_of(dep), expand=True
                )
                keep = dep_node if key_of(dep) == selected else keep
                for p in children:
                    node = dep_node.add_leaf(self._label(p, store, marks, now), key_of(p))
                    keep = node if key_of(p) == selected else keep
            for p in pods:
                if key_of(p) not in owned and matches(p):
                    node = ns_node.add_leaf(self._label(p, store, marks, now), key_of(p))
                    keep = node if key_of(p) == selected else keep
            if not ns_node.children:
                ns_node.remove()
        for kind, why in sorted(store.forbidden.items()):
            self.root.add_leaf(f"[red]{escape(kind)}: {escape(why)}[/]")
        self.root.expand()
        if keep is not None:
            self.move_cursor(keep)

    @property
    def selected_key(self) -> Key | None:
        node = self.cursor_node
        return node.data if node is not None else None


def _selected(selector: dict | None, pod: dict) -> bool:
    # A Deployment without matchLabels owns no pod in the tree.
    return selects(selector, (pod.get("metadata") or {}).get("labels"), empty_selects_all=False)
