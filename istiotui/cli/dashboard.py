"""`istiotui dashboard NAME`: `istioctl dashboard NAME` kept, a port-forward to an observability
addon (Kiali, Prometheus, Grafana, Jaeger) until Ctrl-C, its URL printed."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from types import FrameType

from istiotui.cli import exit_codes
from istiotui.cli.flags import CLUSTER_FLAGS, add_cluster_flags, takes

PROG = "istiotui dashboard"
NAMES = ("kiali", "prometheus", "grafana", "jaeger")  # lab.dashboards.ADDONS, kept import-light


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "dashboard",
        help="port-forward an observability addon (Kiali…) and print its URL",
        description="What `istioctl dashboard NAME` does: a port-forward from 127.0.0.1 to the "
        "addon's Service in istio-system (kiali:20001, prometheus:9090, grafana:3000, "
        "tracing:80), served through the cluster's API, until Ctrl-C. When the addon is not "
        "installed it says so (the local cluster has none: its Graph view, key g, and "
        "`istiotui graph` read the proxies' own statistics).",
    )
    parser.add_argument("name", choices=NAMES, help="the addon")
    parser.add_argument(
        "-p",
        "--port",
        type=int,
        help="local port (default: istioctl's, the addon's own; 0: any free port)",
    )
    parser.add_argument(
        "--browser", action="store_true", help="also open the URL in the default browser"
    )
    add_cluster_flags(parser)
    takes(parser, *CLUSTER_FLAGS)
    parser.set_defaults(func=run)


def _stop(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(exit_codes.SIGNALLED + signum)  # unwinds: the forward and session close


def run(args: argparse.Namespace) -> int:
    from istiotui.cli.session import open_for
    from istiotui.cluster.errors import ClusterError
    from istiotui.lab import dashboards
    from istiotui.traffic.vantage import VantageUnavailable

    if args.port is not None and not 0 <= args.port <= 65535:
        print(f"{PROG}: --port {args.port}: not a port (0-65535)", file=sys.stderr)
        return exit_codes.USAGE
    session = open_for(args, PROG)
    if session is None:
        return exit_codes.UNREACHABLE
    saved = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        try:
            board = dashboards.open_dashboard(session, args.name, args.port)
        except (dashboards.NotInstalled, VantageUnavailable, ClusterError) as exc:
            # ClusterError: the API refused a read on the way (a user who may not list pods)
            print(f"{PROG} {args.name}: {exc}", file=sys.stderr)
            return exit_codes.FAILED
        print(f"{args.name}: {board.url}  (port-forward to svc/{board.addon.service} -n "
              f"{dashboards.NAMESPACE}; Ctrl-C to stop)", flush=True)  # fmt: skip
        if args.browser:
            import webbrowser

            webbrowser.open(board.url)
        while True:
            time.sleep(3600)
    finally:
        for sig, previous in saved.items():
            signal.signal(sig, previous)
        session.close()  # the forward with it
