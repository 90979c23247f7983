"""`pilot-discovery request GET /debug/syncz` in the local istiod's `discovery` container.

On a real cluster istiod answers it with every connected proxy's last sent and acknowledged
nonce per xDS type (`istioctl proxy-status` reads it). The local pilot pushes by writing files
the one Envoy watches, so the same answer is made from those: what was sent is the version the
pilot last wrote (the CDS and LDS files, each proxy's RDS files), what was acknowledged is the
version Envoy's config dump shows in use. Route tables written inline in a listener travel with
LDS; endpoints travel inside the clusters (EDS follows CDS). The shape is istiod's, so the same
reader (mesh/proxy_sync.py) serves both kinds of cluster.

The Envoy admin's URL and the pilot's output folder are written into the cluster's
`pilot-discovery` command when its Envoy starts (launcher.write_pilot_discovery); the exec
sandbox shows that folder, read-only, to istiod's container only.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from istiotui.local.pilot.node_proxy import NODE
from istiotui.mesh.explain.dump import restrict
from istiotui.mesh.release import ISTIO_VERSION

SYNCZ = "/debug/syncz"
TIMEOUT = 30.0


def _version(path: Path) -> str:
    try:
        return str(json.loads(path.read_bytes()).get("version_info") or "")
    except (OSError, ValueError):
        return ""


def _dump_version(dump: dict[str, Any], suffix: str) -> str:
    for section in dump.get("configs") or []:
        if str(section.get("@type", "")).endswith(f".{suffix}"):
            return str(section.get("version_info") or "")
    return ""


def _route_tables(listeners: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """proxy id → {route table name: version written}, from the listeners the pilot wrote; a
    proxy whose tables are all inline is there with none."""
    pushed: dict[str, dict[str, str]] = {}
    for lis in listeners:
        proxy = str(lis.get("name", "")).split("|", 1)[0]
        if proxy.startswith(f"{NODE}."):
            continue  # the node's kube-proxy stand-in: no istiod on a real cluster knows it
        tables = pushed.setdefault(proxy, {})
        for chain in lis.get("filter_chains") or []:
            for f in chain.get("filters") or []:
                rds = (f.get("typed_config") or {}).get("rds") or {}
                source = (rds.get("config_source") or {}).get("path_config_source") or {}
                if source.get("path"):
                    tables[str(rds.get("route_config_name"))] = _version(Path(source["path"]))
    return pushed


def syncz(envoy_dir: Path, dump: dict[str, Any]) -> list[dict[str, Any]]:
    """istiod's `/debug/syncz` entries for every proxy the pilot wrote, given Envoy's dump."""
    lds_file, cds_file = envoy_dir / "lds" / "lds.json", envoy_dir / "cds" / "cds.json"
    cds = (_version(cds_file), _dump_version(dump, "ClustersConfigDump"))
    lds = (_version(lds_file), _dump_version(dump, "ListenersConfigDump"))
    try:
        listeners = json.loads(lds_file.read_bytes()).get("resources") or []
    except (OSError, ValueError):
        listeners = []
    anyone: dict[str, set[str]] = {}  # table → versions any proxy's copy is served at
    for section in dump.get("configs") or []:
        for e in section.get("dynamic_route_configs") or []:
            name = str(e["route_config"].get("name"))
            anyone.setdefault(name, set()).add(str(e.get("version_info") or ""))
    out = []
    for proxy, tables in sorted(_route_tables(listeners).items()):
        served = {
            str(e["route_config"].get("name")): str(e.get("version_info") or "")
            for section in restrict(dump, proxy)["configs"]
            for e in section.get("dynamic_route_configs") or []
        }
        for name, version in tables.items():
            if name not in served and version in anyone.get(name, set()):
                served[name] = version  # a table that names none of its clusters (health)
        if tables:
            names = sorted(tables)
            sent = "" if not all(tables.values()) else ",".join(f"{n}@{tables[n]}" for n in names)
            acked = ",".join(f"{n}@{served.get(n, '')}" for n in names) if served else ""
            route = (sent, acked)
        else:
            route = lds  # inline tables only: they come and go with the listeners
        out.append({
            "cluster_id": "Kubernetes", "proxy": proxy, "istio_version": ISTIO_VERSION,
            "cluster_sent": cds[0], "cluster_acked": cds[1],
            "listener_sent": lds[0], "listener_acked": lds[1],
            "route_sent": route[0], "route_acked": route[1],
            "endpoint_sent": cds[0], "endpoint_acked": cds[1],
        })  # fmt: skip
    return out


def request(admin: str, envoy_dir: Path, method: str, path: str) -> tuple[int, str]:
    if method.upper() != "GET" or path.split("?", 1)[0] != SYNCZ:
        return 1, (
            f"Error: {method} {path}: the local istiod answers GET {SYNCZ} only (the local "
            "pilot keeps no other debug state)\n"
        )
    url = f"{admin.rstrip('/')}/config_dump"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
            dump = json.loads(resp.read())
    except (OSError, ValueError) as exc:
        why = f"failed to read Envoy's config dump at {url} ({exc})"
        return 1, f"Error: {why}: is the local cluster up?\n"
    entries = syncz(envoy_dir, dump)
    namespace = parse_qs(urlsplit(path).query).get("namespace", [""])[0]
    if namespace:  # istiod's own filter
        entries = [e for e in entries if e["proxy"].endswith(f".{namespace}")]
    return 0, json.dumps(entries, indent=2) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pilot-discovery")
    parser.add_argument("--admin", required=True, help=argparse.SUPPRESS)
    parser.add_argument("--envoy-dir", required=True, type=Path, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)
    req = sub.add_parser("request", help="Makes an HTTP request to istiod's debug endpoints")
    req.add_argument("method")
    req.add_argument("path")
    req.add_argument("body", nargs="?")
    args = parser.parse_args(argv)
    code, text = request(args.admin, args.envoy_dir, args.method, args.path)
    (sys.stdout if code == 0 else sys.stderr).write(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
