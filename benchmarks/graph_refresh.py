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
    """Each client's requests leave through its own sidecar, as the pod's own would."""
    from istiotui.local.addresses import sidecar_ip

    for pod in objects.list("v1", "Pod", NS, "app=client"):
        side = sidecar_ip(pod["status"]["podIP"])
        sent, deadline = 0, time.monotonic() + 60
        while sent < 3:
            req = urllib.request.Request(f"http://{side}:8080/echo", headers={"Host": "echo:8080"})
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    resp.read()
                sent += 1
            except OSError:  # the newest sidecars' listeners may still be on their way to Envoy
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


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
            deadline = time.monotonic() + 600
            while not _ready(objects, n) and time.monotonic() < deadline:
                time.sleep(0.5)
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
            times = []
            for _ in range(exec_runs):
                t0 = time.perf_counter()
                same = proxy_stats.collect(objects, by_exec, NS)
                times.append(time.perf_counter() - t0)
            out["exec refresh"] = statistics.median(times)
            assert [e.requests for e in same.edges] == [e.requests for e in graph.edges]
            out["proxies"] = float(graph.proxies)
        finally:
            session.close()
            daemon.down(StateDir(Path(tmp) / "local"))
    return out


def main() -> None:
    from istiotui.lab.loader import load_lab

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    lab = load_lab()
    first: dict[str, float] | None = None
    print("== one graph refresh (median) against the number of sidecars")
    for n in args.sizes:
        got = measure(n, lab, args.runs, 1 if n == max(args.sizes) else 3)
        first = first or got
        print(
            f"N = {n:>4} ({got['proxies']:.0f} proxies in Envoy): "
            + ", ".join(
                f"{k} {got[k] * 1000:.0f} ms ({got[k] / first[k]:.1f}x)"
                for k in ("admin refresh", "exec refresh")
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
