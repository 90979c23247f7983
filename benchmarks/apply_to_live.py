"""Apply-to-live latency of the local pilot's Envoy: how long `apply()` takes until Envoy serves it.

Runs a real Envoy on a scratch state dir and a free admin port, compiles the lab's Bookinfo mesh
(six sidecars, two gateways, destination-rule-all) and applies 50 changes of the reviews
VirtualService, alternating between v1 and v2 so that every apply changes the routes.

    python benchmarks/apply_to_live.py [--applies 50]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from istiotui.local.addresses import pod_ip
from istiotui.local.envoy import EnvoySupervisor
from istiotui.local.pilot import PilotOptions, compile_mesh, gateway_objects

SERVICES = ("productpage", "details", "reviews", "ratings")
PODS = [
    ("productpage", "v1"),
    ("details", "v1"),
    ("reviews", "v1"),
    ("reviews", "v2"),
    ("reviews", "v3"),
    ("ratings", "v1"),
]
BASE = 254 * 210  # 127.10.210.x, away from a running local cluster's first pods


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mesh() -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = []
    for name in SERVICES:
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": "bookinfo"},
                "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 9080}]},
            }
        )
        objs.append(
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "DestinationRule",
                "metadata": {"name": name, "namespace": "bookinfo"},
                "spec": {
                    "host": name,
                    "subsets": [{"name": v, "labels": {"version": v}} for v in ("v1", "v2", "v3")],
                },
            }
        )
    for i, (app, version) in enumerate(PODS, start=1):
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"{app}-{version}-bench-{i}",
                    "namespace": "bookinfo",
                    "labels": {"app": app, "version": version},
                },
                "spec": {"containers": [{"name": app}, {"name": "istio-proxy"}]},
                "status": {"podIP": pod_ip(BASE + i), "phase": "Running"},
            }
        )
    return objs + gateway_pods(BASE + 20, "bench")


def gateway_pods(first_index: int, suffix: str) -> list[dict[str, Any]]:
    """The lab's two gateways as istioctl installs them (Services), each Deployment stood in for
    by one running pod at pod index `first_index` and up (the pilot compiles pods, not Deployments).
    """
    out: list[dict[str, Any]] = []
    for kind, label in (("ingressGateways", "ingressgateway"), ("egressGateways", "egressgateway")):
        component = {
            "name": f"istio-{label}",
            "namespace": "istio-system",
            "label": {"istio": label},
        }
        iop = {"kind": "IstioOperator", "metadata": {"name": label},
               "spec": {"components": {kind: [component]}}}  # fmt: skip
        for obj in gateway_objects(iop):
            if obj["kind"] == "Service":
                out.append(obj)
            elif obj["kind"] == "Deployment":
                tpl = obj["spec"]["template"]
                meta = {"name": f"istio-{label}-{suffix}", "namespace": "istio-system",
                        "labels": tpl["metadata"]["labels"]}  # fmt: skip
                ip = pod_ip(first_index + len(out))
                status = {"podIP": ip, "phase": "Running"}
                out.append({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                            "spec": tpl["spec"], "status": status})  # fmt: skip
    return out


def reviews_to(subset: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "reviews", "namespace": "bookinfo"},
        "spec": {
            "hosts": ["reviews"],
            "http": [{"route": [{"destination": {"host": "reviews", "subset": subset}}]}],
        },
    }


async def run(applies: int) -> int:
    with tempfile.TemporaryDirectory(prefix="istiotui-bench-") as tmp:
        options = PilotOptions(log_dir=Path(tmp) / "logs")
        base = mesh()
        configs = [compile_mesh([*base, reviews_to(s)], options) for s in ("v1", "v2")]
        envoy = EnvoySupervisor(Path(tmp), admin_port=free_port())
        await envoy.start()
        try:
            t0 = time.perf_counter()
            await envoy.apply(configs[0])
            first = time.perf_counter() - t0
            times = []
            for i in range(applies):
                t0 = time.perf_counter()
                await envoy.apply(configs[(i + 1) % 2])
                times.append(time.perf_counter() - t0)
        finally:
            await envoy.stop()
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, round(0.95 * len(ms)) - 1)]
    print(f"mesh: {len(configs[0].listeners)} listeners, {len(configs[0].clusters)} clusters")
    print(f"first apply (all clusters and listeners): {first * 1000:.1f} ms")
    print(
        f"{applies} route changes: p50 {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms,"
        f" max {ms[-1]:.1f} ms"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applies", type=int, default=50)
    return asyncio.run(run(parser.parse_args().applies))


if __name__ == "__main__":
    sys.exit(main())
