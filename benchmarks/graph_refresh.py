"""One traffic-graph refresh against the number of proxies, on the local cluster.

    python benchmarks/graph_refresh.py [--sizes 10 50 200] [--runs 5]

For each N, a fresh local cluster (the lab's install steps up to the gateways), a namespace with
sidecar injection, one fortio echo server behind a Service and N client pods (curl image,
sleeping) — N sidecars. Every client sends 3 requests to the Service through its own sidecar, so
each proxy has counters to read. Measured (median of --runs):

- admin: the Graph view's refresh on the local cluster (the pod list, one `/stats` and one
  `/clusters` from the shared Envoy, the parse and the graph);
- exec: the same graph read as a real cluster is read, `pilot-agent request GET stats` and
  `… GET clusters` through exec in every istio-proxy (8 at a time); one run at the largest N.

Run it under the machine's cluster lock; ports and the state dir are private to the run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

NS = "graph"


def _objects(n: int) -> list[dict[str, Any]]:
    def deployment(name: str, app: str, replicas: int, container: dict) -> dict[str, Any]:
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": NS},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": app}},
                "template": {
                    "metadata": {"labels": {"app": app, "version": "v1"}},
                    "spec": {"containers": [container]},
                },
            },
        }

    echo = {"name": "echo", "image": "fortio/fortio", "ports": [{"containerPort": 8080}]}
    client = {"name": "client", "image": "curlimages/curl", "command": ["sleep", "infinity"]}
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "echo", "namespace": NS},
        "spec": {"selector": {"app": "echo"}, "ports": [{"name": "http", "port": 8080}]},
    }
    return [
        service,
        deployment("echo", "echo", 1, echo),
        deployment("client", "client", n, client),
    ]


def _ready(objects, n: int) -> bool:  # type: ignore[no-untyped-def]
    pods = objects.list("v1", "Pod", NS)
    return (
        sum(
            1
            for p in pods
            if any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in (p.get("status") or {}).get("conditions") or []
            )
        )
        >= n + 1
    )


def _traffic(objects) -> None:  # type: ignore[no-untyped-def]
    """Each client's requests leave through its own sidecar, as the pod's own would. A Ready pod's
    sidecar serves (the local cluster says Ready only then): no retry, a refusal is a bug."""
    from istiotui.local.addresses import sidecar_ip

    for pod in objects.list("v1", "Pod", NS, "app=client"):
        side = sidecar_ip(pod["status"]["podIP"])
        for _ in range(3):
            req = urllib.request.Request(f"http://{side}:8080/echo", headers={"Host": "echo:8080"})
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    resp.read()
            except OSError as exc:
                name = pod["metadata"]["name"]
                why = f"pod {name} is Ready but its sidecar {side}:8080: {exc}"
                raise SystemExit(why) from None


def _envoy_facts(state: Path) -> dict[str, float]:
    """What the run cost Envoy: route files (inotify instances), its restarts, its RSS."""
    envoy = state / "local" / "envoy"
    log_file = envoy / "envoy.log"
    log = log_file.read_text(errors="replace") if log_file.exists() else ""
    rss = 0.0
    for proc in Path("/proc").iterdir():
        try:
            ours = str(envoy / "bootstrap.json") in (proc / "cmdline").read_text()
            if proc.name.isdigit() and ours:
                for line in (proc / "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1]) / 1024
        except OSError:
            continue
    return {
        "route files": float(len(list((envoy / "rds").glob("*/routes.json")))),
        "envoy restarts": float(log.count("[istiotui] envoy exited")),
        "envoy rss": rss,
    }


def _admin_parts(objects, admin, runs: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Where an admin refresh goes (median of each part): the pod list, Envoy answering /stats
    and /clusters (their size grows with proxies x clusters), the parse and the graph, and the
    config dump the mirrors are read from (once a MIRRORS_TTL, not every refresh)."""
    from istiotui.cluster import proxy_stats
    from istiotui.mesh import envoy_stats, traffic_graph

    parts: dict[str, list[float]] = {}
    size = 0
    for _ in range(runs):
        times = [time.perf_counter()]
        pods = objects.list("v1", "Pod")
        times.append(time.perf_counter())
        stats_text = admin._get(proxy_stats.STATS_PATH)
        times.append(time.perf_counter())
        clusters_text = admin._get(proxy_stats.CLUSTERS_PATH)
        times.append(time.perf_counter())
        parsed = envoy_stats.parse_clusters(clusters_text, envoy_stats.parse_stats(stats_text))
        traffic_graph.build(pods, {k: v for k, v in parsed.items() if k is not None}, "", {})
        times.append(time.perf_counter())
        admin._get("config_dump")
        times.append(time.perf_counter())
        names = ("pods", "/stats", "/clusters", "parse+graph", "config_dump")
        for name, t0, t1 in zip(names, times, times[1:], strict=False):
            parts.setdefault(name, []).append(t1 - t0)
        size = len(clusters_text)
    out = {k: statistics.median(v) for k, v in parts.items()}
    out["/clusters MB"] = size / 1e6
    return out


def measure(n: int, lab, runs: int, exec_runs: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from local_cluster import configure

    from istiotui.cli.session import open_session
    from istiotui.cluster import proxy_stats
    from istiotui.lab.executor import Executor
    from istiotui.lab.walk import catch_up
    from istiotui.local import daemon
    from istiotui.local.state import StateDir

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="istiotui-graph-") as tmp:
        configure(Path(tmp))
        session = open_session(argparse.Namespace(local=True, context=None, kubeconfig=None))
        try:
            executor = Executor(session.objects, "local", progress=lambda _line: None)
            for step in catch_up(lab, "istio-ingress-clusterip", "local"):
                executor.run(step.actions)
            objects = session.objects
            labels = {"istio-injection": "enabled"}
            meta = {"name": NS, "labels": labels}
            namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}
            objects.apply([namespace])
            objects.create(_objects(n))
            t0 = time.monotonic()
            while not _ready(objects, n):
                if time.monotonic() > t0 + 600:
                    raise SystemExit(f"N = {n}: the pods were not all Ready within 600 s")
                time.sleep(0.5)
            out["ready"] = time.monotonic() - t0
            _traffic(objects)
            admin = session.graph_source()
            assert isinstance(admin, proxy_stats.AdminSource)
            by_exec = proxy_stats.ExecSource(session.connection.api_client)
            graph = proxy_stats.collect(objects, admin, NS)
            clients = [e for e in graph.edges if e.source.app == "client"]
            assert clients and clients[0].requests == 3 * n, graph.edges
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                proxy_stats.collect(objects, admin, NS)
                times.append(time.perf_counter() - t0)
            out["admin refresh"] = statistics.median(times)
            out.update(_admin_parts(objects, admin, runs))
            times = []
            for _ in range(exec_runs):
                t0 = time.perf_counter()
                same = proxy_stats.collect(objects, by_exec, NS)
                times.append(time.perf_counter() - t0)
            if times:
                out["exec refresh"] = statistics.median(times)
                assert [e.requests for e in same.edges] == [e.requests for e in graph.edges]
            else:
                out["exec refresh"] = float("nan")
            out["proxies"] = float(graph.proxies)
            out.update(_envoy_facts(Path(tmp)))
        finally:
            session.close()
            daemon.down(StateDir(Path(tmp) / "local"))
    return out


def main() -> None:
    from istiotui.lab.loader import load_lab

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--exec-runs",
        type=int,
        default=None,
        help="reads through exec per N (default: 3, 1 at the largest N; 0: none)",
    )
    args = parser.parse_args()
    lab = load_lab()
    first: dict[str, float] | None = None
    print("== one graph refresh (median) against the number of sidecars")
    for n in args.sizes:
        execs = 1 if n == max(args.sizes) else 3
        got = measure(n, lab, args.runs, execs if args.exec_runs is None else args.exec_runs)
        first = first or got
        print(
            f"N = {n:>4} ({got['proxies']:.0f} proxies in Envoy): "
            + ", ".join(
                f"{k} {got[k] * 1000:.0f} ms ({got[k] / first[k]:.1f}x)"
                for k in ("admin refresh", "exec refresh")
            )
            + f" (exec over admin {got['exec refresh'] / got['admin refresh']:.1f}x)"
            + f"; all Ready in {got['ready']:.1f} s, {got['route files']:.0f} route files,"
            f" {got['envoy restarts']:.0f} Envoy restarts, Envoy RSS {got['envoy rss']:.0f} MiB",
            flush=True,
        )
        print(
            "         admin refresh's parts: "
            + ", ".join(
                f"{k} {got[k] * 1000:.0f} ms"
                for k in ("pods", "/stats", "/clusters", "parse+graph", "config_dump")
            )
            + f"; /clusters is {got['/clusters MB']:.1f} MB",
            flush=True,
        )


if __name__ == "__main__":
    main()
