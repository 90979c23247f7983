"""The resource tree updated event by event is the tree drawn from scratch, and keeps the
learner's expansion, cursor and filter across updates.

Events reach the app as the connect worker posts them (`ResourcesChanged`); the reference tree is
a new `ResourceTree` shown the app's final store once.
"""

from __future__ import annotations

import copy
import difflib
import pprint
import random

from textual.widgets.tree import TreeNode
from ui_data import LARGE, bookinfo, settle, watch_events

from istiotui.cluster.watch import WatchEvent
from istiotui.ui import messages as msg
from istiotui.ui.widgets.resource_tree import ResourceTree

NAMESPACES = ("bookinfo", "shop", "kube-system")


def shape(node: TreeNode) -> list:
    return [(child.label.markup, child.data, shape(child)) for child in node.children]


def differences(want: list, got: list) -> str:
    lines = [pprint.pformat(x, width=200).splitlines() for x in (want, got)]
    return "\n".join(difflib.unified_diff(*lines, "from scratch", "updated", lineterm=""))


def expansion(node: TreeNode) -> dict:
    out = {}
    for child in node.children:
        if child.allow_expand:
            out[child.data] = child.is_expanded
        out |= expansion(child)
    return out


def from_scratch(app) -> list:
    """The tree a fresh widget draws from the app's final store."""
    fresh = ResourceTree()
    now_tree = app.main_screen.query_one(ResourceTree)
    store, findings, now, needle, message = now_tree._args
    fresh.show(store, findings, now, needle, message)
    return shape(fresh.root)


def obj(kind: str, name: str, namespace: str, labels: dict | None = None, **spec) -> dict:
    meta = {"name": name, "namespace": namespace, "creationTimestamp": "2025-12-31T23:55:00Z"}
    if labels:
        meta["labels"] = labels
    api = {"Deployment": "apps/v1", "Service": "v1", "Pod": "v1"}.get(
        kind, "networking.istio.io/v1"
    )
    return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec}


def random_event(rng: random.Random, live: dict) -> WatchEvent:
    """Adds, changes (labels and selectors too, so Pods move between Deployments) and deletes."""
    kind = rng.choice(
        ("Pod", "Pod", "Pod", "Deployment", "Deployment", "Service", "VirtualService")
    )
    namespace = rng.choice(NAMESPACES)
    app = rng.choice(("a", "b", "c", "d"))
    name = f"{app}-{rng.randrange(6)}" if kind != "Deployment" else f"{app}-dep-{rng.randrange(3)}"
    key = (kind, namespace, name)
    if key in live and rng.random() < 0.35:
        gone = live.pop(key)
        return WatchEvent("DELETED", kind, gone)
    version = rng.choice(("v1", "v2"))
    if kind == "Pod":
        body = obj(kind, name, namespace, {"app": app, "version": version}, containers=[])
        body["status"] = {"phase": rng.choice(("Running", "Pending"))}
    elif kind == "Deployment":
        selector = rng.choice(({"app": app}, {"app": app, "version": version}, {}))
        body = obj(kind, name, namespace, None, selector={"matchLabels": selector}, replicas=1)
    elif kind == "Service":
        body = obj(kind, name, namespace, None, selector={"app": app}, ports=[{"port": 80}])
    else:
        body = obj(kind, name, namespace, None, hosts=[app], http=[])
    event = "MODIFIED" if key in live else "ADDED"
    live[key] = body
    return WatchEvent(event, kind, copy.deepcopy(body))


async def test_updates_event_by_event_give_the_tree_drawn_from_scratch(make_app) -> None:
    rng = random.Random(18)
    live: dict = {}
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        tree = app.main_screen.query_one(ResourceTree)
        for k in ("Pod", "Deployment", "Service", "VirtualService"):
            app.post_message(msg.ResourcesChanged((WatchEvent("SYNCED", k),)))
        for round_ in range(40):
            # One event per message, or a burst merged into one batch.
            for _ in range(rng.choice((1, 1, 5, 20))):
                app.post_message(msg.ResourcesChanged((random_event(rng, live),)))
            if round_ == 20:
                app.post_message(
                    msg.ResourcesChanged((WatchEvent("ERROR", "Gateway", message="forbidden"),))
                )
            await settle(pilot)
            got, want = shape(tree.root), from_scratch(app)
            assert got == want, f"after round {round_}:\n{differences(want, got)}"
        assert {key for key in app.store.objects} == set(live)
        labels = [str(n.label) for n in tree.root.children]
        assert "kube-system" not in labels and any("Gateway: forbidden" in x for x in labels)
        # Everything gone: no namespace is left.
        for body in list(live.values()):
            app.post_message(msg.ResourcesChanged((WatchEvent("DELETED", body["kind"], body),)))
        await settle(pilot)
        # Only the lines that are not objects: the app's "offline" and the refused kind.
        assert [n.data for n in tree.root.children] == [None, None]
        assert "Gateway: forbidden" in str(tree.root.children[1].label)
        assert shape(tree.root) == from_scratch(app)


def find(tree: ResourceTree, key) -> TreeNode:
    stack = list(tree.root.children)
    while stack:
        node = stack.pop()
        if node.data == key:
            return node
        stack += node.children
    raise AssertionError(f"{key} not in the tree")


async def test_expansion_and_the_cursor_survive_updates(make_app) -> None:
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        app.post_message(watch_events(bookinfo()))
        await settle(pilot)
        tree = app.main_screen.query_one(ResourceTree)
        reviews_v2 = ("Deployment", "bookinfo", "reviews-v2")
        ratings_pod = ("Pod", "bookinfo", "ratings-v1-7d9f8c-x2k4p")
        tree.focus()
        tree.move_cursor(find(tree, reviews_v2))
        await pilot.press("space")  # the learner folds reviews-v2 away
        await settle(pilot)
        assert not find(tree, reviews_v2).is_expanded
        tree.move_cursor(find(tree, ratings_pod))
        await settle(pilot)
        before = expansion(tree.root)
        namespace_node = find(tree, ("Namespace", "", "bookinfo"))

        # Rows appear above the cursor, the selected pod itself changes, a sibling goes.
        added = obj("Service", "aaa-first", "bookinfo", None, selector={"app": "x"})
        changed = copy.deepcopy(
            next(o for o in bookinfo() if o["metadata"]["name"] == ratings_pod[2])
        )
        changed["status"]["phase"] = "Pending"
        gone = next(o for o in bookinfo() if o["metadata"]["name"] == "productpage-v1")
        app.post_message(msg.ResourcesChanged((WatchEvent("ADDED", "Service", added),)))
        app.post_message(msg.ResourcesChanged((WatchEvent("MODIFIED", "Pod", changed),)))
        app.post_message(msg.ResourcesChanged((WatchEvent("DELETED", "Deployment", gone),)))
        await settle(pilot)
        assert tree.selected_key == ratings_pod
        assert "Pending" in str(tree.cursor_node.label)
        assert find(tree, ("Namespace", "", "bookinfo")) is namespace_node  # updated, not rebuilt
        after = expansion(tree.root)
        assert after == {k: v for k, v in before.items() if k != gone_key(gone)}
        assert not after[reviews_v2]

        # A filter rebuilds the tree: the fold and the cursor are kept through it.
        await pilot.press("slash", *"r", "enter")
        await settle(pilot)
        assert not find(tree, reviews_v2).is_expanded
        assert tree.selected_key == ratings_pod
        assert shape(tree.root) == from_scratch(app)


def gone_key(body: dict) -> tuple:
    return (body["kind"], body["metadata"]["namespace"], body["metadata"]["name"])


async def test_the_filter_applies_to_objects_that_arrive_later(make_app) -> None:
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        app.post_message(watch_events(bookinfo()))
        await settle(pilot)
        await pilot.press("slash", *"ratings", "enter")
        await settle(pilot)
        tree = app.main_screen.query_one(ResourceTree)
        new_ratings = obj("Pod", "ratings-v2-abc", "bookinfo", {"app": "ratings", "version": "v9"})
        new_reviews = obj("Service", "reviews-canary", "bookinfo", None, selector={"app": "r"})
        elsewhere = obj("VirtualService", "ratings", "shop", None, hosts=["ratings"])
        for kind, body in (
            ("Pod", new_ratings),
            ("Service", new_reviews),
            ("VirtualService", elsewhere),
        ):
            app.post_message(msg.ResourcesChanged((WatchEvent("ADDED", kind, body),)))
        await settle(pilot)
        keys = set()
        stack = list(tree.root.children)
        while stack:
            node = stack.pop()
            keys.add(node.data)
            stack += node.children
        assert ("Pod", "bookinfo", "ratings-v2-abc") in keys
        assert ("VirtualService", "shop", "ratings") in keys
        assert ("Service", "bookinfo", "reviews-canary") not in keys
        assert all("ratings" in k[2] for k in keys if k and k[0] not in ("Namespace",)), keys
        assert shape(tree.root) == from_scratch(app)
