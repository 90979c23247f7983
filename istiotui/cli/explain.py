"""`istiotui explain URL`: the path one request takes through one proxy, and why.

The walk itself is mesh/explain (pure); fetching the proxy's configuration and naming what it
found is lab/explain.py, which the app uses too. See docs/explain.md.
"""

from __future__ import annotations

import argparse
import sys

from istiotui.cli import exit_codes
from istiotui.cli.flags import CLUSTER_FLAGS, add_cluster_flags, takes
from istiotui.cli.output import add_output_flag, document, emit, wants_data

PROG = "istiotui explain"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "explain",
        help="explain where one request goes through a proxy, from its Envoy configuration",
        description="Walk one request through the configuration of the proxy that handles it: "
        "listener, route configuration and virtual host, the route that matches and why, the "
        "VirtualService rule it came from, the destinations with weights and endpoints, and "
        "the policies on the way. NR/NC when Envoy would find no route or no cluster.",
    )
    parser.add_argument("url", help="e.g. http://reviews:9080/reviews/0 or "
                        "http://localhost:8080/productpage (the ingress gateway)")  # fmt: skip
    parser.add_argument(
        "--from",
        dest="from_ref",
        metavar="POD",
        help="the proxy that sends it: POD, NAMESPACE/POD or deploy/NAME (default for a "
        "localhost URL: the ingress gateway)",
    )
    parser.add_argument("-n", "--namespace", default="default", help="of --from (default: default)")
    parser.add_argument("-H", "--header", action="append", default=[], metavar="'NAME: VALUE'")
    parser.add_argument("-X", "--method", default="GET")
    add_output_flag(parser)
    parser.add_argument(
        "--send",
        action="store_true",
        help="also send the request once through that proxy and compare what came back",
    )
    add_cluster_flags(parser)
    takes(parser, *CLUSTER_FLAGS)
    parser.set_defaults(func=run)

    pc = sub.add_parser(
        "proxy-config",
        help="a pod's proxy configuration: listeners, routes, clusters, endpoints",
        description="The tables `istioctl proxy-config` shows, read from the proxy's config "
        "dump (the local Envoy's, restricted to that proxy, on the local cluster).",
    )
    pc.add_argument("pod", help="POD, NAMESPACE/POD or deploy/NAME")
    pc.add_argument("type", nargs="?", default="all",
                    choices=("all", "listeners", "routes", "clusters", "endpoints"))  # fmt: skip
    pc.add_argument("-n", "--namespace", default="default")
    add_output_flag(pc)
    add_cluster_flags(pc)
    takes(pc, *CLUSTER_FLAGS)
    pc.set_defaults(func=run_proxy_config)

    ps = sub.add_parser(
        "proxy-status",
        help="each proxy's configuration per type: in sync with the pilot's last push or stale",
        description="What `istioctl proxy-status` prints, from istiod's /debug/syncz (exec of "
        "`pilot-discovery request GET /debug/syncz` in each istiod): per proxy and type, SYNCED "
        "when it acknowledged what istiod last sent, STALE when not (yet), NOT SENT.",
    )
    add_output_flag(ps)
    add_cluster_flags(ps)
    takes(ps, *CLUSTER_FLAGS)
    ps.set_defaults(func=run_proxy_status)


def run_proxy_status(args: argparse.Namespace) -> int:
    from istiotui.cli.session import open_for
    from istiotui.cluster.errors import ClusterError
    from istiotui.lab.explain import ExplainError, proxy_status
    from istiotui.mesh.explain.summary import table

    prog = "istiotui proxy-status"
    session = open_for(args, prog)
    if session is None:
        return exit_codes.UNREACHABLE
    try:
        found = proxy_status(session)
    except (ExplainError, ClusterError) as exc:
        raise SystemExit(f"{prog}: {exc}") from None
    finally:
        session.close()
    if wants_data(args):
        emit(document(proxies=found), args.output)
    else:
        print(table(found))
    return exit_codes.OK


def run_proxy_config(args: argparse.Namespace) -> int:
    from istiotui.cli.session import open_for
    from istiotui.cluster.errors import ClusterError
    from istiotui.lab.explain import ExplainError, proxy_config
    from istiotui.mesh.explain.summary import TYPES, rows, table

    prog = "istiotui proxy-config"
    session = open_for(args, prog)
    if session is None:
        return exit_codes.UNREACHABLE
    try:
        proxy, cfg = proxy_config(session, args.pod, args.namespace)
    except (ExplainError, ClusterError) as exc:
        raise SystemExit(f"{prog}: {exc}") from None
    finally:
        session.close()
    kinds = TYPES if args.type == "all" else (args.type,)
    if wants_data(args):
        emit(document(proxy=proxy.name, **{k: rows(cfg, k) for k in kinds}), args.output)
        return exit_codes.OK
    for i, kind in enumerate(kinds):
        if len(kinds) > 1:
            print(("\n" if i else "") + f"{kind} of {proxy.name}:")
        print(table(rows(cfg, kind)))
    return exit_codes.OK


def run(args: argparse.Namespace) -> int:
    from istiotui.cli.session import open_for
    from istiotui.cluster.errors import ClusterError
    from istiotui.lab.errors import LoaderError
    from istiotui.lab.explain import (
        ExplainError,
        explain_request,
        next_hops,
        parse_headers,
        send,
        sent_json,
        sent_text,
    )
    from istiotui.lab.loader import load_lab
    from istiotui.mesh.explain.render import as_json, as_text, hops_text

    try:
        headers = parse_headers(args.header)
    except ExplainError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return exit_codes.USAGE
    try:
        lab = load_lab()
    except LoaderError:
        lab = None  # file:line is a nicety; a broken lab does not stop the explanation
    session = open_for(args, PROG)
    if session is None:
        return exit_codes.UNREACHABLE
    try:
        proxy, e = explain_request(
            session, args.url, headers, from_ref=args.from_ref, namespace=args.namespace,
            method=args.method, lab=lab,
        )  # fmt: skip
        hops = [hop for _, hop in next_hops(session, e, lab)]
        sent = send(session, proxy, e, args.url) if args.send else None
    except (ExplainError, ClusterError) as exc:
        raise SystemExit(f"{PROG}: {exc}") from None
    finally:
        session.close()
    if wants_data(args):
        body = as_json(e)
        body["next_hops"] = [as_json(hop) for hop in hops]
        if sent is not None:
            body["sent"] = sent_json(sent)
        emit(document(**body), args.output)
    else:
        print(as_text(e) + hops_text(hops))
        if sent is not None:
            print(sent_text(sent))
    if sent is not None and sent.predicted is False:
        print(f"{PROG}: the answer did not come from a predicted destination", file=sys.stderr)
        return exit_codes.FAILED
    return exit_codes.OK
