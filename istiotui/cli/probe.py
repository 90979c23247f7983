"""`istiotui probe URL`: repeated requests with a fortio-like summary and per-class counts."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any

from istiotui.cli import exit_codes
from istiotui.cli.flags import CLUSTER_FLAGS, add_cluster_flags, takes
from istiotui.cli.output import add_output_flag, document, emit, wants_data

if TYPE_CHECKING:
    from istiotui.traffic.engine import ProbeRun, ProbeSpec


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "probe",
        help="send repeated requests and count responses per version",
        description="Send N requests (C at a time) and summarise them like fortio, with counts "
        "per class (reviews version by default for Bookinfo's page).",
    )
    parser.add_argument("url", help="full URL, e.g. http://localhost:8080/productpage")
    parser.add_argument("-n", type=int, default=10, dest="count", help="requests (default 10)")
    parser.add_argument("-c", type=int, default=1, dest="concurrency", help="at a time")
    parser.add_argument("--qps", type=float, default=0.0, help="requests per second (0: max)")
    parser.add_argument("--host", help="Host header, e.g. httpbin.example.com")
    parser.add_argument("--user", help="log in to productpage as this user first")
    parser.add_argument("-H", "--header", action="append", default=[], metavar="NAME:VALUE")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per request")
    parser.add_argument("--new-connections", action="store_true", help="no keep-alive, as curl")
    parser.add_argument(
        "--from",
        dest="from_pod",
        metavar="POD",
        help="send from inside the mesh, from this pod ([NAMESPACE/]NAME, e.g. default/curl-…): "
        "through its sidecar on the local cluster, by exec on a real one",
    )
    parser.add_argument("--container", help="the pod's container to exec in (real clusters)")
    add_cluster_flags(parser)
    add_output_flag(parser)
    takes(parser, *CLUSTER_FLAGS)
    parser.add_argument(
        "--classify",
        help="reviews-version, stars, status, flag, latency or header:NAME "
        "(default: reviews-version for /productpage, else status)",
    )
    parser.set_defaults(func=run)


def _fail(code: int, message: str) -> int:
    print(f"istiotui probe: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    # Imported here: `istiotui --help` and other commands need not load aiohttp.
    from istiotui.traffic.engine import LoginFailed, ProbeSpec, Target, run_probe

    headers = {}
    for item in args.header:
        name, sep, value = item.partition(":")
        if not sep:
            return _fail(exit_codes.USAGE, f"header {item!r} is not NAME:VALUE")
        headers[name.strip()] = value.strip()
    classify = args.classify or ("reviews-version" if "productpage" in args.url else "status")
    try:
        spec = ProbeSpec(
            url=args.url,
            count=args.count,
            concurrency=args.concurrency,
            qps=args.qps,
            timeout=args.timeout,
            host=args.host,
            headers=headers,
            user=args.user,
            keepalive=not args.new_connections,
            classify=classify,
        )
    except ValueError as exc:
        return _fail(exit_codes.USAGE, str(exc))
    if args.from_pod:
        return _from_pod(args, spec)
    try:
        result = asyncio.run(run_probe(spec, Target()))
    except LoginFailed as exc:
        return _fail(exit_codes.FAILED, str(exc))
    _show(args, spec, result)
    hint = _no_tunnel_hint(spec.url, result)
    if hint:
        print(hint, file=sys.stderr)
    return exit_codes.OK if result.summary.errors == 0 else exit_codes.FAILED


def _show(args: argparse.Namespace, spec: ProbeSpec, result: ProbeRun) -> None:
    if wants_data(args):
        emit(probe_data(spec, result), args.output)
    else:
        print(text(spec, result))


def _no_tunnel_hint(url: str, result: ProbeRun) -> str | None:
    """Nothing answered on this machine: the lab's way in is a port-forward the learner opens."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.hostname not in ("localhost", "127.0.0.1") or result.summary.errors == 0:
        return None
    if result.summary.statuses:
        return None
    port = parts.port or 80
    return (
        f"istiotui probe: nothing answers on localhost:{port}. The lab reaches the ingress "
        f"gateway through a port-forward: run `kubectl port-forward svc/istio-ingressgateway "
        f"-n istio-system {port}:80` in another terminal (or press f in istiotui), then probe "
        "again."
    )


def _from_pod(args: argparse.Namespace, spec: ProbeSpec) -> int:
    """In-mesh probes: the pod's labels pick it out for the vantage that owns the how."""
    from istiotui.cli.session import open_session, print_notes, where
    from istiotui.cluster.connection import ClusterUnreachable
    from istiotui.cluster.errors import ClusterError
    from istiotui.traffic.login import LoginFailed
    from istiotui.traffic.vantage import VantageUnavailable, probe

    namespace, _, name = args.from_pod.rpartition("/")
    namespace = namespace or "default"
    try:
        session = open_session(args)
    except ClusterUnreachable as exc:
        return _fail(exit_codes.UNREACHABLE, str(exc))
    print_notes(session, "istiotui probe")
    print(where(session), file=sys.stderr)  # exec runs commands there
    try:
        pod = session.objects.get("v1", "Pod", name, namespace)
        if pod is None:
            return _fail(exit_codes.FAILED, f"no pod {name} in namespace {namespace}")
        labels = (pod.get("metadata") or {}).get("labels") or {}
        selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        target = session.vantages.pod_target(namespace, selector, args.container)
        result = asyncio.run(probe(spec, target))
    except (VantageUnavailable, ClusterError, LoginFailed) as exc:
        return _fail(exit_codes.FAILED, str(exc))
    finally:
        session.close()
    _show(args, spec, result)
    return exit_codes.OK if result.summary.errors == 0 else exit_codes.FAILED


def probe_data(spec: ProbeSpec, result: ProbeRun) -> dict[str, Any]:
    s = result.summary
    latency = None
    if s.latencies:
        ms = {f"p{p}": round(1000 * (s.percentile(p) or 0), 3) for p in (50, 90, 99)}
        latency = {**ms, "max": round(1000 * s.latencies[-1], 3)}
    first_error = next((r.error for r in result.responses if r.error), None)
    return document(
        url=spec.url,
        count=spec.count,
        concurrency=spec.concurrency,
        classify=spec.classify,
        sent=s.total,
        elapsedSeconds=round(s.elapsed, 3),
        requestsPerSecond=round(s.rps, 3),
        latencyMs=latency,
        statuses={str(code): n for code, n in s.statuses.items()},
        errors=s.errors,
        firstError=first_error,
        classes=dict(s.classes),
        passed=s.errors == 0,
    )


def text(spec: ProbeSpec, result: ProbeRun) -> str:
    from istiotui.traffic.stats import describe_counts

    s = result.summary
    lines = [
        f"Sent {s.total} requests to {spec.url}, {spec.concurrency} at a time: "
        f"{s.rps:.1f} req/s over {s.elapsed:.2f} s",
    ]
    if s.latencies:
        cuts = "  ".join(f"p{p} {1000 * (s.percentile(p) or 0):.1f} ms" for p in (50, 90, 99))
        lines.append(f"Latency: {cuts}  max {1000 * s.latencies[-1]:.1f} ms")
    for code, n in s.statuses.items():
        lines.append(f"Code {code} : {n} ({100 * n / s.total:.1f} %)")
    if s.errors:
        first = next(r.error for r in result.responses if r.error)
        lines.append(f"No answer : {s.errors} ({100 * s.errors / s.total:.1f} %) — {first}")
    lines.append(f"{spec.classify}: {describe_counts(s.classes, s.total)}")
    return "\n".join(lines)
