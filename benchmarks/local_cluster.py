"""The embedded local cluster: start-up to the first page, apply-to-live latency, memory.

    python benchmarks/local_cluster.py [--runs 5] [--applies 50]

1. `local up` to the first 200 from productpage through the ingress (Istio gateways, Bookinfo and
   its Gateway applied through the API as the lab does), median of N fresh starts.
2. Apply-to-live over the API: server-side apply of the reviews VirtualService alternating v1/v3;
   each apply returns once Envoy serves it, checked by one page load right after. p50/p95 against
   the baseline of a no-op apply (same object, same API path, nothing for Envoy to do).
3. Memory of the whole local cluster (server, Envoy, every workload process): PSS (shared pages
   divided among the processes that share them; the sum is what the cluster costs) and RSS, per
   process and summed. Taken in every run after 20 more pages (so that every Bookinfo workload
   has served), before the applies; the median over the runs, cold and warm apart.

Ports and the state dir are private to the run (environment), so a learner's cluster is untouched.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from procmem import report, tree_memory


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def configure(state: Path) -> None:
    os.environ["ISTIOTUI_STATE_DIR"] = str(state)
    os.environ["ISTIOTUI_API_PORT"] = str(free_port())


def page(url: str, timeout: float = 5.0) -> str | None:
    """productpage through the ingress gateway's pod (where the lab's port-forward leads)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.read().decode() if resp.status == 200 else None
    except OSError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--applies", type=int, default=50, help="0: no apply-to-live figures")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="one state dir for every run: the first `up` is cold, the others (after `local "
        "down`, with the objects, certificates and page cache left) are warm",
    )
    args = parser.parse_args()

    from istiotui.cli.session import open_session
    from istiotui.lab.executor import Executor
    from istiotui.lab.loader import load_lab
    from istiotui.lab.walk import catch_up
    from istiotui.local import daemon
    from istiotui.local.state import StateDir

    lab = load_lab()
    startups: list[float] = []
    memory: list[tuple[float, float]] = []  # per run: PSS, RSS (MiB)
    shared = tempfile.TemporaryDirectory(prefix="istiotui-bench-") if args.warm else None
    for run in range(args.runs):
        fresh = tempfile.TemporaryDirectory(prefix="istiotui-bench-") if shared is None else None
        with fresh or contextlib.nullcontext(shared.name if shared else "") as tmp:
            configure(Path(tmp))
            t0 = time.perf_counter()
            session = open_session(argparse.Namespace(local=True, context=None, kubeconfig=None))
            executor = Executor(session.objects, "local", progress=lambda _line: None)
            for step in [*catch_up(lab, "routing-gateway", "local"), lab.step("routing-gateway")]:
                executor.run(step.actions)
            url = session.vantages.ingress_target().url("/productpage")
            while page(url) is None:
                time.sleep(0.05)
            startups.append(time.perf_counter() - t0)
            for _ in range(20):
                page(url)
            running = daemon.status(StateDir(Path(tmp) / "local"))
            assert running is not None
            rows = tree_memory(running.pid)
            memory.append((sum(r.pss for r in rows) / 2**20, sum(r.rss for r in rows) / 2**20))
            print(f"run {run + 1}: {report(rows, per_process=False)}")
            if run == args.runs - 1:
                print("memory of the local cluster (server, Envoy, every workload), last run:")
                print(report(rows))
                if args.applies:
                    measure_applies(session, lab, args.applies, url)
            session.close()
            daemon.down(StateDir(Path(tmp) / "local"))
    cold_memory = memory[:1] if shared is not None else memory
    warm_memory = memory[1:] if shared is not None else []
    for kind, runs in (("cold", cold_memory), ("warm", warm_memory)):
        if runs:
            pss = statistics.median(m[0] for m in runs)
            rss = statistics.median(m[1] for m in runs)
            print(f"memory, {kind}: median PSS {pss:.0f} MiB, RSS {rss:.0f} MiB "
                  f"(PSS {', '.join(f'{m[0]:.0f}' for m in runs)}; n={len(runs)})")  # fmt: skip
    if shared is not None:
        shared.cleanup()
        cold, startups = startups[0], startups[1:] or startups
        print(f"local up → first 200 from productpage, cold (a new state dir): {cold:.2f} s")
    print(
        f"local up → first 200 from productpage{', warm' if shared else ''}: median "
        f"{statistics.median(startups):.2f} s "
        f"(min {min(startups):.2f}, max {max(startups):.2f}, n={len(startups)})"
    )
    if shared is not None:  # the cold start, run in this same command, is the baseline
        print(f"warm over cold: {statistics.median(startups) / cold:.2f}x")


def measure_applies(session, lab, applies: int, url: str) -> None:  # type: ignore[no-untyped-def]
    manifests = {
        name: lab_manifest(lab, f"virtual-service-{name}.yaml") for name in ("all-v1", "reviews-v3")
    }
    from istiotui.lab.executor import Executor

    Executor(session.objects, "local", lambda _l: None).run(
        [a for s in ("routing-destination-rules",) for a in lab.step(s).actions]
    )
    session.objects.apply(manifests["all-v1"])
    times, noop, stale = [], [], 0
    for i in range(applies):
        name, want = ("reviews-v3", "reviews-v3") if i % 2 == 0 else ("all-v1", "reviews-v1")
        t0 = time.perf_counter()
        session.objects.apply(manifests[name])
        times.append(time.perf_counter() - t0)
        body = page(url) or ""
        stale += want not in body
        t0 = time.perf_counter()
        session.objects.apply(manifests[name])  # the same again: nothing for Envoy to do
        noop.append(time.perf_counter() - t0)
    q = statistics.quantiles(times, n=20)
    qn = statistics.quantiles(noop, n=20)
    p50, p50_noop = statistics.median(times), statistics.median(noop)
    print(
        f"apply-to-live over the API ({applies} applies): p50 {1000 * p50:.0f} ms, "
        f"p95 {1000 * q[18]:.0f} ms; no-op apply p50 {1000 * p50_noop:.0f} ms, "
        f"p95 {1000 * qn[18]:.0f} ms; ratio p50 {p50 / p50_noop:.1f}; "
        f"pages showing the old version right after an apply: {stale}"
    )


def lab_manifest(lab, suffix: str) -> list[dict]:  # type: ignore[no-untyped-def]
    for step in lab.steps():
        for action in step.actions:
            manifest = getattr(action, "manifest", None)
            if manifest is not None and manifest.path.endswith(suffix):
                return manifest.bodies
    raise LookupError(suffix)


if __name__ == "__main__":
    main()
