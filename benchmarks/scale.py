"""How cost grows with the number of objects: pilot, Envoy, API and the TUI's resource tree.

    python benchmarks/scale.py [--sizes 10 100 500] [--parts compile tui cluster]

- compile: the local pilot compiling N Services with one Running pod each (plus the two
  gateways), without sidecars and with one in every pod; median of 5 compiles, in this process.
- tui: the app's handling of watch events with M objects in the store (Services, Deployments and
  Pods, a third each): one batch of all of them, then one change at a time as the connect worker
  posts them, with and without a filter. Headless, offline (the events are fed as the snapshot
  tests feed them).
- cluster: a fresh local cluster per N (the lab's install steps up to the gateways), then N
  Services and N Deployments (one replica, `istio/proxyv2`: a pod the local runtime runs without a
  process of its own, so 500 pods fit on a laptop) in a namespace without injection; measured:
  create-to-all-Ready, apply-to-live of a gateway VirtualService (p50/p95, against a no-op
  apply), the pilot's compile of the cluster's objects, LIST latency, watch latency (a label
  patched → its MODIFIED event), Envoy's PSS/RSS and the whole cluster's PSS. Run it under the
  machine's cluster lock; ports and the state dir are private to the run.

Every figure is printed beside the same figure at the smallest size, so growth reads as a ratio;
nothing here is a pass or a fail.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from procmem import tree_memory

BASE = 254 * 120  # pod addresses for the in-process compile, away from a running cluster's pods


def median_time(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]


# --- compile ------------------------------------------------------------------------------


def mesh_objects(n: int, sidecars: bool) -> list[dict[str, Any]]:
    from apply_to_live import gateway_pods

    from istiotui.local.addresses import pod_ip

    objs: list[dict[str, Any]] = []
    for i in range(n):
        name = f"svc-{i}"
        objs.append(service(name))
        containers = [{"name": "app"}, *([{"name": "istio-proxy"}] if sidecars else [])]
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"{name}-0", "namespace": "scale", "labels": {"app": name}},
                "spec": {"containers": containers},
                "status": {"podIP": pod_ip(BASE + i), "phase": "Running"},
            }
        )
    return objs + gateway_pods(BASE + n, "0")


def service(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "scale", "labels": {"app": name}},
        "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 8080}]},
    }


def part_compile(sizes: list[int], sidecar_max: int) -> None:
    from istiotui.local.pilot import PilotOptions, compile_mesh

    print("== pilot compile (in process, median of 5)")
    options = PilotOptions(log_dir=Path(tempfile.mkdtemp()))
    for sidecars in (False, True):
        first = None
        first_one = 0.0
        for n in sizes:
            if sidecars and n > sidecar_max:
                print(f"{n:>5} services with sidecars: skipped (over --sidecar-max {sidecar_max})")
                continue
            objs = mesh_objects(n, sidecars)
            config = compile_mesh(objs, options)
            seconds = median_time(lambda objs=objs: compile_mesh(objs, options), 5)
            size = len(json.dumps([config.listeners, config.clusters]))
            first = first or (n, seconds, len(config.clusters), size)
            one = one_change(objs, options)
            first_one = first_one or one
            print(
                f"{n:>5} services {'with' if sidecars else 'without'} sidecars: "
                f"{seconds * 1000:8.1f} ms ({seconds / first[1]:6.1f}x), "
                f"{len(config.listeners):>5} listeners, {len(config.clusters):>7} clusters "
                f"({len(config.clusters) / first[2]:6.1f}x), {size / 2**20:7.1f} MiB of JSON; "
                f"after one pod's readiness changed (kept compile): {one * 1000:7.1f} ms "
                f"({one / first_one:6.1f}x)"
            )


def one_change(objs: list[dict[str, Any]], options: Any) -> float:
    """A compile with the data plane's CompileCache after one pod's readiness flipped (each
    object carries a resourceVersion, as in the store); median of 5."""
    from istiotui.local.pilot import compile_mesh
    from istiotui.local.pilot.compile_cache import CompileCache

    objs = json.loads(json.dumps(objs))
    for i, obj in enumerate(objs):
        obj["metadata"]["resourceVersion"] = str(i + 1)
    cache = CompileCache()
    compile_mesh(objs, options, cache)
    pod = next(o for o in objs if o["kind"] == "Pod")
    times = []
    for k in range(5):
        ready = "False" if k % 2 == 0 else "True"
        pod["status"]["conditions"] = [{"type": "Ready", "status": ready}]
        pod["metadata"]["resourceVersion"] = f"x{k}"
        t0 = time.perf_counter()
        compile_mesh(objs, options, cache)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# --- tui ----------------------------------------------------------------------------------


def tui_objects(total: int) -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = []
    stamp = "2026-12-07T12:00:00Z"
    for i in range(total // 3 + 1):
        name = f"svc-{i}"
        meta = {"name": name, "namespace": "scale", "creationTimestamp": stamp, "uid": f"s{i}"}
        objs.append({**service(name), "metadata": {**meta, "labels": {"app": name}}})
        objs.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {**meta, "uid": f"d{i}"},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}},
                "status": {"replicas": 1, "readyReplicas": 1},
            }
        )
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {**meta, "name": f"{name}-0", "uid": f"p{i}", "labels": {"app": name}},
                "spec": {"containers": [{"name": "app"}]},
                "status": {
                    "phase": "Running",
                    "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0}],
                },
            }
        )
    return objs[:total]


async def tui_measure(total: int) -> dict[str, float]:
    from istiotui.cluster.watch import WatchEvent
    from istiotui.lab.loader import load_lab
    from istiotui.mesh.analysis import analyze
    from istiotui.ui import messages as msg
    from istiotui.ui.app import IstioTui

    objs = tui_objects(total)
    app = IstioTui(load_lab(), "en", None, state_dir=Path(tempfile.mkdtemp()))
    out: dict[str, float] = {}
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        deadline = time.monotonic() + 60
        while not app.main_screen.query("#resources"):  # the panels come after the first frame
            if time.monotonic() > deadline:
                raise SystemExit("scale: the resources panel never appeared (60 s)")
            await pilot.pause()
        batch = msg.ResourcesChanged(tuple(WatchEvent("ADDED", o["kind"], o) for o in objs))
        t0 = time.perf_counter()
        app.on_resources_changed(batch)
        out["batch"] = time.perf_counter() - t0
        changed = [
            msg.ResourcesChanged(
                (
                    WatchEvent(
                        "MODIFIED",
                        "Service",
                        {**objs[0], "metadata": {**objs[0]["metadata"], "resourceVersion": str(k)}},
                    ),
                )
            )
            for k in range(7)
        ]
        times = []
        for event in changed:
            t0 = time.perf_counter()
            app.on_resources_changed(event)
            times.append(time.perf_counter() - t0)
        out["one change"] = statistics.median(times)
        out["analysis"] = median_time(lambda: analyze(app.store.objects.values()), 5)
        out["tree"] = median_time(app.main_screen.show_tree, 5)
        app.filter_text = "svc-7"
        out["tree, filtered"] = median_time(app.main_screen.show_tree, 5)
        await pilot.pause()
    return out


def part_tui(sizes: list[int]) -> None:
    print("== TUI: watch events into the store, the analysis and the resource tree (median)")
    first: dict[str, float] | None = None
    for total in sizes:
        got = asyncio.run(tui_measure(total))
        first = first or got
        print(
            f"{total:>5} objects: "
            + ", ".join(f"{k} {v * 1000:.1f} ms ({v / first[k]:.1f}x)" for k, v in got.items())
        )
    print(
        "   (the connect worker posts one event per message: loading M objects is M 'one change'"
        " updates)"
    )


# --- cluster ------------------------------------------------------------------------------


def deployment(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "scale"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "proxy", "image": "istio/proxyv2:1.24.0"}]},
            },
        },
    }


def gateway_route(to: str) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "scale-gw", "namespace": "scale"},
            "spec": {
                "selector": {"istio": "ingressgateway"},
                "servers": [
                    {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}
                ],
            },
        },
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "VirtualService",
            "metadata": {"name": "scale-vs", "namespace": "scale"},
            "spec": {
                "hosts": ["*"],
                "gateways": ["scale-gw"],
                "http": [{"route": [{"destination": {"host": to, "port": {"number": 8080}}}]}],
            },
        },
    ]


def all_ready(objects, n: int) -> bool:  # type: ignore[no-untyped-def]
    pods = objects.list("v1", "Pod", "scale")
    ready = sum(
        1
        for p in pods
        if any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (p.get("status") or {}).get("conditions") or []
        )
    )
    return ready >= n


def watch_latency(objects, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    res = objects.resource("v1", "Service")
    seen: dict[str, float] = {}
    started = threading.Event()

    def follow() -> None:
        version = res.get(namespace="scale").metadata.resourceVersion
        started.set()
        for event in res.watch(namespace="scale", resource_version=version, timeout=60):
            mark = ((event["object"].metadata.labels or {}) or {}).get("mark")
            if mark and mark not in seen:
                seen[mark] = time.perf_counter()
            if len(seen) >= rounds:
                return

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    started.wait(30)
    time.sleep(0.2)  # the watch request is open
    sent = {}
    for k in range(rounds):
        mark = f"m{k}"
        sent[mark] = time.perf_counter()
        objects.patch(service("svc-0"), {"metadata": {"labels": {"mark": mark}}})
        deadline = time.perf_counter() + 10
        while mark not in seen and time.perf_counter() < deadline:
            time.sleep(0.001)
    thread.join(5)
    return [seen[m] - sent[m] for m in sent if m in seen]


def cluster_measure(n: int, lab, applies: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from local_cluster import configure

    from istiotui.cli.session import open_session
    from istiotui.lab.executor import Executor
    from istiotui.lab.walk import catch_up
    from istiotui.local import daemon
    from istiotui.local.pilot import PilotOptions, compile_mesh
    from istiotui.local.state import StateDir

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="istiotui-scale-") as tmp:
        configure(Path(tmp))
        session = open_session(argparse.Namespace(local=True, context=None, kubeconfig=None))
        try:
            executor = Executor(session.objects, "local", progress=lambda _line: None)
            for step in [*catch_up(lab, "istio-ingress-clusterip", "local")]:
                executor.run(step.actions)
            objects = session.objects
            objects.apply(
                [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "scale"}}]
            )
            t0 = time.perf_counter()
            objects.create([service(f"svc-{i}") for i in range(n)])
            out["create services"] = time.perf_counter() - t0
            objects.create([deployment(f"svc-{i}") for i in range(n)])
            while not all_ready(objects, n):
                time.sleep(0.2)
            out["create to all Ready"] = time.perf_counter() - t0
            objects.apply(gateway_route("svc-0"))
            live, noop = [], []
            for k in range(applies):
                route = gateway_route(f"svc-{(k + 1) % 2}")[1:]
                t1 = time.perf_counter()
                objects.apply(route)
                live.append(time.perf_counter() - t1)
                t1 = time.perf_counter()
                objects.apply(route)
                noop.append(time.perf_counter() - t1)
            out["apply-to-live p50"] = statistics.median(live)
            out["apply-to-live p95"] = p95(live)
            out["no-op apply p50"] = statistics.median(noop)
            mesh = [
                o
                for api, kind in (
                    ("v1", "Service"),
                    ("v1", "Pod"),
                    ("networking.istio.io/v1", "Gateway"),
                    ("networking.istio.io/v1", "VirtualService"),
                    ("networking.istio.io/v1", "DestinationRule"),
                    ("networking.istio.io/v1", "ServiceEntry"),
                )
                for o in objects.list(api, kind)
            ]
            options = PilotOptions(log_dir=Path(tmp) / "compile-logs")
            out["pilot compile"] = median_time(lambda: compile_mesh(mesh, options), 3)
            out["LIST pods"] = median_time(lambda: objects.list("v1", "Pod", "scale"), 5)
            out["LIST services"] = median_time(lambda: objects.list("v1", "Service", "scale"), 5)
            out["watch latency"] = statistics.median(watch_latency(objects, 10))
            running = daemon.status(StateDir(Path(tmp) / "local"))
            assert running is not None
            rows = tree_memory(running.pid)
            envoy = [r for r in rows if r.label.startswith("envoy")]
            out["Envoy PSS MiB"] = sum(r.pss for r in envoy) / 2**20
            out["Envoy RSS MiB"] = sum(r.rss for r in envoy) / 2**20
            out["cluster PSS MiB"] = sum(r.pss for r in rows) / 2**20
            out["cluster RSS MiB"] = sum(r.rss for r in rows) / 2**20
        finally:
            session.close()
            daemon.down(StateDir(Path(tmp) / "local"))
    return out


def part_cluster(sizes: list[int], applies: int) -> None:
    from istiotui.lab.loader import load_lab

    print("== local cluster (N Services + N Deployments, one pod each)")
    lab = load_lab()
    first: dict[str, float] | None = None
    for n in sizes:
        got = cluster_measure(n, lab, applies)
        first = first or got
        print(f"N = {n}")
        for key, value in got.items():
            unit = "" if "MiB" in key else " ms"
            shown = value if "MiB" in key else value * 1000
            print(f"   {key:<22} {shown:10.1f}{unit}  ({value / first[key]:.1f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--tui-sizes", type=int, nargs="+", default=[100, 1000, 3000])
    parser.add_argument("--parts", nargs="+", default=["compile", "tui", "cluster"])
    parser.add_argument("--applies", type=int, default=20)
    # Every sidecar gets a cluster per service (as in Istio without Sidecar resources): N² clusters,
    # minutes of compiling at 500.
    parser.add_argument("--sidecar-max", type=int, default=100)
    args = parser.parse_args()
    if "compile" in args.parts:
        part_compile(args.sizes, args.sidecar_max)
    if "tui" in args.parts:
        part_tui(args.tui_sizes)
    if "cluster" in args.parts:
        part_cluster(args.sizes, args.applies)


if __name__ == "__main__":
    main()
