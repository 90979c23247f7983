"""Requests per second through the local ingress: the probe engine against wrk and a curl loop.

Run with the local cluster up, Bookinfo routed (e.g. after `istiotui verify routing-all-v1
--local`) and the lab's port-forward open
(`kubectl port-forward svc/istio-ingressgateway -n istio-system 8080:80`), or give the gateway
pod's address and port (`kubectl get pods -n istio-system -o wide`, port 8080):

    python benchmarks/probe_throughput.py [URL] [--seconds S] [--connections C]

All three hit the same URL in the same run, one after the other, so the ratios hold even when the
machine's speed drifts between runs. Aims: the engine at least half of wrk, at least 20× the
lab's own `for … curl` loop.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import time

from istiotui.traffic.engine import ProbeSpec, Target, run_probe

DEFAULT_URL = "http://127.0.0.1:8080/productpage"


def engine_rps(url: str, connections: int, seconds: float) -> float:
    # Size the run so it lasts about `seconds`: a short calibration round first.
    calibration = asyncio.run(
        run_probe(ProbeSpec(url, count=50, concurrency=connections), Target())
    )
    count = max(100, int(calibration.summary.rps * seconds))
    run = asyncio.run(run_probe(ProbeSpec(url, count=count, concurrency=connections), Target()))
    if run.summary.errors:
        sys.exit(f"engine: {run.summary.errors} requests failed against {url}")
    return run.summary.rps


def wrk_rps(url: str, connections: int, seconds: float) -> float | None:
    if shutil.which("wrk") is None:
        print("wrk: not installed (Debian package `wrk`); skipped", file=sys.stderr)
        return None
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{max(1, int(seconds))}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(found.group(1)) if found else None


def curl_loop_rps(url: str, requests: int) -> float:
    # The lab's check: `for i in {1..6}; do curl -s URL | grep -o "reviews-v.*"; done`.
    script = (
        f'for i in $(seq 1 {requests}); do curl -s "{url}" | grep -o "reviews-v.*" >/dev/null; done'
    )
    t0 = time.perf_counter()
    subprocess.run(["bash", "-c", script], check=True)
    return requests / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=DEFAULT_URL)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--curl-requests", type=int, default=30)
    args = parser.parse_args()

    engine = engine_rps(args.url, args.connections, args.seconds)
    wrk = wrk_rps(args.url, args.connections, args.seconds)
    loop = curl_loop_rps(args.url, args.curl_requests)
    print(f"url: {args.url}, {args.connections} connections")
    print(f"probe engine : {engine:8.1f} req/s")
    if wrk is not None:
        print(f"wrk          : {wrk:8.1f} req/s   engine/wrk  = {engine / wrk:5.2f}  (aim ≥ 0.5)")
    print(f"curl loop    : {loop:8.1f} req/s   engine/loop = {engine / loop:5.1f}  (aim ≥ 20)")


if __name__ == "__main__":
    main()
