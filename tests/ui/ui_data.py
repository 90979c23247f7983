"""Fixed cluster objects, diffs and probe responses for the UI tests: Bookinfo and httpbin.

They reach the app through the same messages the workers post; diffs, findings and verdicts are
computed by the real diff, analysis and judging code over these fixed inputs.
"""

from __future__ import annotations

import copy
import time

from istiotui.cluster.watch import WatchEvent
from istiotui.lab import model as m
from istiotui.lab.verify import ProbeOutcome, judge
from istiotui.mesh.analysis import analyze, overlay
from istiotui.mesh.diff import diff_object
from istiotui.traffic.engine import ProbeRun
from istiotui.traffic.stats import Response, summarise
from istiotui.ui import messages as msg

FROZEN_EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z: every AGE and mark is computed from it
SMALL = (80, 24)  # terminal sizes of the snapshots
LARGE = (160, 48)
BORN = "2025-12-31T23:55:00Z"  # five minutes before the tests' frozen clock
NET = "networking.istio.io/v1"


def _meta(name: str, namespace: str, **labels: str) -> dict:
    meta = {"name": name, "namespace": namespace, "creationTimestamp": BORN}
    return {**meta, "labels": labels} if labels else meta


def service(name: str, namespace: str, port: int) -> dict:
    spec = {"type": "ClusterIP", "ports": [{"port": port}], "selector": {"app": name}}
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(name, namespace), "spec": spec}


def deployment(app: str, version: str, namespace: str) -> dict:
    labels = {"app": app, "version": version}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(f"{app}-{version}", namespace, **labels),
        "spec": {"replicas": 1, "selector": {"matchLabels": labels}},
        "status": {"readyReplicas": 1},
    }


def pod(app: str, version: str, namespace: str, restarts: int = 0) -> dict:
    containers = [{"name": app, "image": f"{app}:1"}, {"name": "istio-proxy", "image": "proxy"}]
    statuses = [{"name": c["name"], "ready": True, "restartCount": restarts} for c in containers]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(f"{app}-{version}-7d9f8c-x2k4p", namespace, app=app, version=version),
        "spec": {"containers": containers},
        "status": {"phase": "Running", "containerStatuses": statuses},
    }


def destination_rule(host: str, namespace: str, subsets: list[str], policy: dict | None) -> dict:
    spec: dict = {"host": host, "subsets": [{"name": s, "labels": {"version": s}} for s in subsets]}
    if policy:
        spec["trafficPolicy"] = policy
    return {
        "apiVersion": NET,
        "kind": "DestinationRule",
        "metadata": _meta(host, namespace),
        "spec": spec,
    }


def reviews_all_v1() -> dict:
    route = [{"destination": {"host": "reviews", "subset": "v1"}}]
    return {
        "apiVersion": NET,
        "kind": "VirtualService",
        "metadata": _meta("reviews", "bookinfo"),
        "spec": {"hosts": ["reviews"], "http": [{"route": route}]},
    }


def bookinfo(reviews_vs: dict | None = None) -> list[dict]:
    objs: list[dict] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bookinfo"}}]
    gateway = {
        "apiVersion": NET,
        "kind": "Gateway",
        "metadata": _meta("bookinfo-gateway", "bookinfo"),
        "spec": {
            "selector": {"istio": "ingressgateway"},
            "servers": [{"port": {"number": 80, "protocol": "HTTP"}, "hosts": ["*"]}],
        },
    }
    objs.append(gateway)
    objs.append(reviews_vs or reviews_all_v1())
    objs.append(destination_rule("reviews", "bookinfo", ["v1", "v2", "v3"], None))
    for name, port in (("productpage", 9080), ("reviews", 9080), ("ratings", 9080)):
        objs.append(service(name, "bookinfo", port))
    for app, version in (
        ("productpage", "v1"),
        ("reviews", "v1"),
        ("reviews", "v2"),
        ("reviews", "v3"),
        ("ratings", "v1"),
    ):
        objs.append(deployment(app, version, "bookinfo"))
        objs.append(pod(app, version, "bookinfo", restarts=2 if version == "v3" else 0))
    return objs


def circuit_breaking() -> list[dict]:
    policy = {
        "connectionPool": {
            "tcp": {"maxConnections": 1},
            "http": {"http1MaxPendingRequests": 1, "maxRequestsPerConnection": 1},
        },
        "outlierDetection": {"consecutive5xxErrors": 1, "interval": "1s"},
    }
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}},
        service("httpbin", "default", 8000),
        destination_rule("httpbin", "default", [], policy),
        deployment("httpbin", "v1", "default"),
        pod("httpbin", "v1", "default"),
        deployment("fortio", "v1", "default"),
        pod("fortio", "v1", "default"),
    ]


def watch_events(objs: list[dict]) -> msg.ResourcesChanged:
    """The list a Watcher posts first: every object ADDED, then each kind SYNCED."""
    events = [WatchEvent("ADDED", o["kind"], copy.deepcopy(o)) for o in objs]
    events += [WatchEvent("SYNCED", k) for k in sorted({o["kind"] for o in objs})]
    return msg.ResourcesChanged(tuple(events))


def server_view(obj: dict) -> dict:
    """What a dry run returns for a manifest: the body plus fields the server fills in."""
    out = copy.deepcopy(obj)
    out["metadata"] = {
        **out["metadata"],
        "resourceVersion": "42",
        "generation": 2,
        "creationTimestamp": BORN,
        "uid": "0b5e3c1e",
    }
    return out


def step_diff(step: m.Step, live: list[dict]) -> msg.DiffComputed:
    """The step's Apply manifests against `live`, through the real diff and analysis."""
    by_key = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in live}
    diffs, after = [], []
    for action in step.actions:
        if isinstance(action, m.Apply):
            for body in action.manifest.bodies:
                meta = body["metadata"]
                before = by_key.get((body["kind"], meta.get("namespace"), meta["name"]))
                stored = server_view(body)
                diffs.append(diff_object(before, stored, body))
                after.append(stored)
    touched = {(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in after}
    findings = [
        f for f in analyze(overlay(live, after)) if (f.kind, f.namespace, f.name) in touched
    ]
    return msg.DiffComputed(step.id, tuple(diffs), tuple(findings))


def version_rounds(v1_counts: list[int], size: int) -> list[list[Response]]:
    """Rounds of page loads, each answered by reviews v1 or v3 (latencies fixed)."""
    rounds = []
    for n in v1_counts:
        rounds.append(
            [Response(200, 0.040 + 0.001 * i, "v1" if i < n else "v3") for i in range(size)]
        )
    return rounds


def status_rounds(overflow: list[int], size: int) -> list[list[Response]]:
    """Rounds of fortio-like load: some 503s from the breaker (with Envoy's overload header)."""
    rounds = []
    for n in overflow:
        rows = []
        for i in range(size):
            if i < n:
                rows.append(Response(503, 0.002, "503", None, {"x-envoy-overloaded": "true"}))
            else:
                rows.append(Response(200, 0.011, "200"))
        rounds.append(rows)
    return rounds


def rounds_and_verdict(step: m.Step, rounds: list[list[Response]]) -> list:
    """The messages a verification posts: each round, then the verdict judged on all of them."""
    probe = step.probes[0]
    out: list = [
        msg.ProbeRoundFinished(step.id, probe.id, probe.classify, tuple(r), 1.0) for r in rounds
    ]
    everything = [r for rows in rounds for r in rows]
    outcome = ProbeOutcome(probe, ProbeRun(everything, summarise(everything, 5.0)), None)
    out.append(msg.VerdictReached(step.id, tuple(judge(step, [outcome]))))
    return out


async def settle(pilot, deadline_pauses: int = 200) -> None:
    """Let posted messages, throttled redraws, the widgets mounted after the first frame and
    Markdown updates finish (bounded, no sleeps)."""
    from istiotui.ui.widgets.deferred import AfterFirstFrame
    from istiotui.ui.widgets.resource_tree import ResourceTree
    from istiotui.ui.widgets.step_view import StepView
    from istiotui.ui.widgets.traffic import TrafficPanel

    app = pilot.app
    for _ in range(3):  # mounting takes a few rounds of the message loop
        await pilot.pause()
    for _ in range(deadline_pauses):
        await pilot.pause()
        screen = app.main_screen
        if screen is None:
            break
        throttled = [*screen.query(TrafficPanel), *screen.query(ResourceTree)]
        later = [*screen.query(AfterFirstFrame)]
        drafts = [view for view in screen.query(StepView) if view.drafted]
        busy = any(w.pending for w in throttled) or not all(w.filled for w in later) or drafts
        if not busy and not app.workers:
            break
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def wait_until(pilot, condition, seconds: float, what: str) -> None:
    """Let the app run until `condition` holds; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await pilot.pause(0.05)


async def select_in_tree(pilot, tree, node, what: str) -> None:
    """Put the tree's cursor on `node`. A node just added has no line until the tree lays it
    out, and moving onto it then selects nothing (CI saw `o` open on the status alone): move
    until the cursor holds it."""

    def selected() -> bool:
        if tree.cursor_node is not node:
            tree.move_cursor(node)
        return tree.cursor_node is node

    await wait_until(pilot, selected, 10, what)
