"""The TUI's resource tree with 1,000 objects: updated in place against rebuilt from scratch.

    python benchmarks/tree_update.py [--objects 1000] [--runs 30]

Headless (Textual's test driver), offline: the objects reach a `ResourceStore` as the watch's
events would, and two trees show that store, each in the same app: `ResourceTree` (updates the
nodes an event touches) and, as the baseline, the tree as it was before (`Rebuilt` below: clears
and builds every node on each show). Measured for each, median over the runs:

- one event (a Pod's status flips; a Pod is added and one deleted; a Deployment's selector
  changes, moving its Pods) and one batch of 50 events, the store's `apply` excluded (it is
  the same for both and printed apart);
- a filter typed (one rebuild, filtered by name first).

Each time includes Textual laying out the tree's lines (`last_line`), which it would do before
the next frame anyway. The figures are printed as the baseline's time over the new one's;
nothing here is a pass or a fail.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from rich.markup import escape
from textual.app import App, ComposeResult
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from istiotui.cluster.watch import WatchEvent
from istiotui.mesh.analysis import Finding, analyze
from istiotui.mesh.labels import selects
from istiotui.mesh.summary import summarise
from istiotui.ui.store import Key, ResourceStore, key_of
from istiotui.ui.widgets.resource_tree import ResourceTree, badges

SHOWN_KINDS = ("Gateway", "VirtualService", "DestinationRule", "ServiceEntry", "Service")
NAMESPACE = "bench"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


class Rebuilt(Tree[Key]):
    """The baseline: the resource tree before incremental updates (main, 33e58ae), kept here
    verbatim but for its name, so both are measured on the same store in the same process."""

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
        self.root.expand()
        if keep is not None:
            self.move_cursor(keep)


class Bench(App):
    def compose(self) -> ComposeResult:
        yield ResourceTree(id="new")
        yield Rebuilt(id="old")


def objects(total: int) -> list[dict]:
    """Services, Deployments and their Pods, a third each, in one namespace."""
    meta = {"namespace": NAMESPACE, "creationTimestamp": "2025-12-31T23:00:00Z"}
    out: list[dict] = []
    for i in range(total // 3 + 1):
        name = f"svc-{i}"
        labels = {"app": name}
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": {**meta, "name": name},
                    "spec": {"selector": labels, "ports": [{"port": 80}]}})  # fmt: skip
        out.append({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {**meta, "name": name},
                    "spec": {"replicas": 1, "selector": {"matchLabels": labels}},
                    "status": {"readyReplicas": 1}})  # fmt: skip
        out.append({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {**meta, "name": f"{name}-0", "labels": labels},
                    "spec": {"containers": [{"name": "app"}]},
                    "status": {"phase": "Running"}})  # fmt: skip
    return out[:total]


def changes(objs: list[dict], rng: random.Random) -> Iterable[tuple[str, list[WatchEvent]]]:
    """Endless: one event of each sort in turn, labelled."""
    pods = [o for o in objs if o["kind"] == "Pod"]
    deps = [o for o in objs if o["kind"] == "Deployment"]
    k = 0
    while True:
        k += 1
        pod = copy.deepcopy(rng.choice(pods))
        pod["status"]["phase"] = "Pending" if k % 2 else "Running"
        yield "a Pod's status", [WatchEvent("MODIFIED", "Pod", pod)]
        extra = copy.deepcopy(rng.choice(pods))
        extra["metadata"]["name"] += f"-extra{k}"
        yield "a Pod added", [WatchEvent("ADDED", "Pod", extra)]
        yield "a Pod deleted", [WatchEvent("DELETED", "Pod", extra)]
        dep = copy.deepcopy(rng.choice(deps))
        other = rng.choice(deps)["spec"]["selector"]["matchLabels"]
        dep["spec"]["selector"]["matchLabels"] = dict(other)
        yield "a Deployment's selector", [WatchEvent("MODIFIED", "Deployment", dep)]


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


async def measure(total: int, runs: int) -> dict[str, tuple[float, float]]:
    rng = random.Random(18)
    objs = objects(total)
    store = ResourceStore(lambda: 0.0)  # nothing is marked as new: labels stay comparable
    store.apply([WatchEvent("ADDED", o["kind"], o) for o in objs])
    findings = analyze(store.objects.values())
    app = Bench()
    out: dict[str, list[tuple[float, float]]] = {}
    async with app.run_test(size=(160, 50)) as pilot:
        new = app.query_one("#new", ResourceTree)
        old = app.query_one("#old", Rebuilt)

        def show_new(needle: str = "") -> None:
            new.show(store, findings, NOW, needle)
            new.flush()  # at once, not at the next frame
            new.last_line  # noqa: B018 (lays the lines out, as the next frame would)

        def show_old(needle: str = "") -> None:
            old.show(store, findings, NOW, needle)
            old.last_line  # noqa: B018

        def record(name: str, fn_new: Callable[[], object], fn_old: Callable[[], object]) -> None:
            out.setdefault(name, []).append((timed(fn_new), timed(fn_old)))

        record("first show (all 1,000 built)", show_new, show_old)
        await pilot.pause()
        stream = changes(objs, rng)
        for _ in range(runs):
            for _ in range(4):
                name, events = next(stream)
                out.setdefault("store.apply, one event", []).append(
                    (timed(lambda events=events: store.apply(events)), 0.0)
                )
                record(f"one event: {name}", show_new, show_old)
                await pilot.pause()
            batch = [e for _ in range(50) for e in next(stream)[1]]
            store.apply(batch)
            record("one batch of 50 events", show_new, show_old)
            await pilot.pause()
        for _ in range(min(runs, 10)):
            record("a filter typed (svc-7)", lambda: show_new("svc-7"), lambda: show_old("svc-7"))
            record("the filter cleared", show_new, show_old)
            await pilot.pause()
    return {k: (statistics.median(n for n, _ in v), statistics.median(o for _, o in v))
            for k, v in out.items()}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    Path(tempfile.gettempdir()).mkdir(exist_ok=True)
    got = asyncio.run(measure(args.objects, args.runs))
    print(f"resource tree, {args.objects} objects (median; baseline = rebuilt on every show)")
    for name, (new, old) in got.items():
        if old == 0.0:
            print(f"  {name:<38} {new * 1000:8.2f} ms")
            continue
        print(f"  {name:<38} in place {new * 1000:8.2f} ms   rebuilt {old * 1000:8.2f} ms"
              f"   rebuilt/in place {old / new:6.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
