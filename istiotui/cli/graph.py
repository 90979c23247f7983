"""`istiotui graph`: the traffic graph from the proxies' own statistics, as a table or JSON."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from istiotui.cli import exit_codes
from istiotui.cli.flags import CLUSTER_FLAGS, add_cluster_flags, takes
from istiotui.cli.output import add_output_flag, document, emit, wants_data

if TYPE_CHECKING:
    from istiotui.mesh.traffic_graph import Graph

PROG = "istiotui graph"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "graph",
        help="who calls whom in the mesh, from the sidecars' statistics",
        description="The traffic graph read from the client proxies' outbound statistics: one "
        "edge per source workload → destination workload (namespace/app/version) with "
        "requests, 5xx, p50/p99 latency (ms) and Envoy's response flags (UO, UH, UF, UT, URX). "
        "Counts are cumulative since each proxy started (not a rate: compare two runs); "
        "-o json|yaml writes them as docs/cli-output.md lists. On the local cluster the numbers "
        "come from its one Envoy's admin, per sidecar. On a real cluster: the Prometheus addon's "
        "istio_requests_total when its Service (istio-system/prometheus) is there and has "
        "requests, else each pod's istio-proxy through exec (`pilot-agent request GET "
        "stats/prometheus`: Istio's istio_requests_total, or the Envoy outbound cluster "
        "statistics of a proxy without Istio's stats filter). The output says which source.",
    )
    parser.add_argument(
        "-n", "--namespace", help="only edges that start or end in this namespace (default: all)"
    )
    add_output_flag(parser, text="table")
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--exec",
        dest="by_exec",
        action="store_true",
        help="read each pod's istio-proxy through exec even on the local cluster",
    )
    which.add_argument(
        "--prometheus",
        metavar="URL",
        help="read istio_requests_total from the Prometheus at URL (one you port-forwarded)",
    )
    add_cluster_flags(parser)
    takes(parser, *CLUSTER_FLAGS)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from istiotui.cli.session import open_for
    from istiotui.cluster import prometheus, proxy_stats
    from istiotui.cluster.errors import ClusterError
    from istiotui.mesh.traffic_graph import table

    session = open_for(args, PROG)
    if session is None:
        return exit_codes.UNREACHABLE
    try:
        if args.prometheus:
            url = args.prometheus
            source = prometheus.PrometheusSource(lambda: url, url)
        elif args.by_exec:
            source = proxy_stats.ExecSource(session.connection.api_client)
        else:  # the session's choice (it may look for istio-system/prometheus first)
            source = session.graph_source()
        graph = proxy_stats.collect(session.objects, source, args.namespace)
    except ClusterError as exc:
        raise SystemExit(f"{PROG}: {exc}") from None
    finally:
        session.close()
    if wants_data(args):
        emit(graph_data(graph, args.namespace), args.output)
        return exit_codes.OK
    print(f"source: {graph.source} · {graph.proxies} proxies · counts since each proxy started",
          file=sys.stderr)  # fmt: skip
    if not graph.edges:
        where = f" in namespace {args.namespace}" if args.namespace else ""
        print(f"No traffic{where} yet: the proxies have counted no requests.")
        return exit_codes.OK
    print(table(graph))
    return exit_codes.OK


def graph_data(graph: Graph, namespace: str | None) -> dict[str, Any]:
    """The document of `-o json|yaml`: the namespace asked for, then the graph's own JSON (the
    edges' keys as the issue states them: `p50_ms`, not camelCase)."""
    return document(namespace=namespace, **graph.to_json())
