"""`local down` then `local up` right after traffic, against the same on an idle cluster.

    python benchmarks/down_up.py [--runs 3] [--requests 300]

A cluster with the lab's httpbin and curl (sidecars injected) is brought up once. Each run sends
N requests through the mesh from the curl pod (or none, for the baseline), then times
`istiotui local down` (it returns once every process of the cluster is gone and its port is
free) and `istiotui local up` until every pod is Ready again, as separate processes, as a learner
runs them. Prints medians and the ratio after-traffic / idle: connections left in TIME_WAIT must
cost nothing (they once refused the restart for a minute).

The state dir and address block are private to the run; a learner's cluster is untouched.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "scenarios" / "manifests" / "lab"


def istiotui(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "istiotui.cli.main", *args], check=True,
                   capture_output=True, text=True)  # fmt: skip


def kubectl(kubeconfig: Path, *args: str) -> str:
    done = subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), *args],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return done.stdout


def timed_restart(kubeconfig: Path) -> tuple[float, float]:
    started = time.perf_counter()
    istiotui("local", "down")
    down = time.perf_counter() - started
    started = time.perf_counter()
    istiotui("local", "up")
    kubectl(kubeconfig, "wait", "--for=condition=Ready", "pod", "--all", "-A", "--timeout=120s")
    return down, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="istiotui-bench-") as tmp:
        os.environ["ISTIOTUI_STATE_DIR"] = tmp
        os.environ.setdefault("ISTIOTUI_LOCAL_BLOCK", "11")
        kubeconfig = Path(tmp) / "local" / "kubeconfig"
        istiotui("local", "up")
        try:
            kubectl(kubeconfig, "label", "ns", "default", "istio-injection=enabled")
            for name in ("09-httpbin-service.yaml", "09-httpbin-v1.yaml", "09-curl.yaml"):
                kubectl(kubeconfig, "apply", "-f", str(LAB / name))
            kubectl(kubeconfig, "wait", "--for=condition=Ready", "pod", "--all", "-A",
                    "--timeout=120s")  # fmt: skip
            results: dict[str, list[tuple[float, float]]] = {"idle": [], "traffic": []}
            for _ in range(args.runs):
                for label in ("idle", "traffic"):
                    if label == "traffic":
                        urls = ["http://httpbin:8000/status/200"] * args.requests
                        kubectl(kubeconfig, "exec", "deploy/curl", "-c", "curl", "--",
                                "curl", "-s", "-o", "/dev/null", *urls)  # fmt: skip
                    results[label].append(timed_restart(kubeconfig))
        finally:
            istiotui("local", "down")
    medians = {
        label: (statistics.median(d for d, _ in runs), statistics.median(u for _, u in runs))
        for label, runs in results.items()
    }
    for label, (down, up) in medians.items():
        print(f"{label:8} down {down:5.2f} s   up to every pod Ready {up:5.2f} s   (median of "
              f"{args.runs})")  # fmt: skip
    (idle_down, idle_up), (t_down, t_up) = medians["idle"], medians["traffic"]
    print(f"after {args.requests} requests / idle: down ×{t_down / idle_down:.2f}, "
          f"up ×{t_up / idle_up:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
