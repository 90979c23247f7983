"""`pilot-agent request METHOD PATH` in a local pod's istio-proxy container.

On a real cluster pilot-agent forwards the request to its own Envoy's admin (localhost:15000).
The local cluster has one Envoy for every proxy, so this answers from the shared admin with only
the asking proxy's part, under Istio's names: the statistics, clusters and listeners whose names
carry the proxy's id (`<pod>.<namespace>|…`, see local/pilot/names.py) lose the id, the other
proxies' entries are dropped. What would change the shared Envoy (any method but GET, or a path
outside the read-only ones below) is refused: it would reach every proxy, not this one.

The admin's URL is written into the cluster's `pilot-agent` command when its Envoy starts
(launcher.write_pilot_agent); the pod is the container's `POD_NAME`/`POD_NAMESPACE`, as Istio's
injected istio-proxy container has them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from istiotui.local.pilot.names import METADATA_NS
from istiotui.local.pilot.node_proxy import NODE
from istiotui.local.pilot.stats import proxy_stats

# The admin paths a proxy may read on its own (the rest are Envoy-wide or change it).
READABLE = ("stats", "stats/prometheus", "config_dump", "clusters", "listeners", "server_info",
            "ready", "memory", "certs", "runtime")  # fmt: skip
TIMEOUT = 30.0


def _mine(name: object, proxy_id: str) -> bool | None:
    """Whether a scoped Envoy name is this proxy's (None: no proxy's, Envoy-wide)."""
    if not isinstance(name, str) or "|" not in name:
        return None
    owner = name.split("|", 1)[0]
    if owner == NODE:  # the node's kube-proxy stand-in: no sidecar's Envoy has it
        return False
    if "." not in owner:  # `outbound|…` unscoped, or not an id at all
        return None
    return owner == proxy_id


def _entry_name(item: dict[str, Any]) -> object:
    for path in (("name",), ("cluster", "name"), ("active_state", "listener", "name"),
                 ("route_config", "name"), ("warming_state", "listener", "name")):  # fmt: skip
        value: Any = item
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            return value
    return None


# A proxy's id in front of a name (`<pod>.<ns>|…`), wherever it is in an entry.
_SCOPE = re.compile(r"(?<![\w.-])([a-z0-9][-a-z0-9]*\.[a-z0-9][-a-z0-9]*)\|")


def _foreign(item: dict[str, Any], proxy_id: str) -> bool:
    """An entry of another proxy: named so, or (route tables keep Istio's bare port names)
    naming only other proxies' clusters."""
    owner = _mine(_entry_name(item), proxy_id)
    if owner is not None:
        return not owner
    ids = set(_SCOPE.findall(json.dumps(item)))
    return bool(ids) and proxy_id not in ids


def _keep_own(node: Any, proxy_id: str) -> Any:
    if isinstance(node, list):
        kept = []
        for item in node:
            if isinstance(item, dict) and _foreign(item, proxy_id):
                continue
            kept.append(_keep_own(item, proxy_id))
        return kept
    if isinstance(node, dict):
        return {k: _keep_own(v, proxy_id) for k, v in node.items()}
    return node


def _declared_ports(node: Any) -> None:
    """Endpoints at the ports pods declare (80), not where they are bound here (10080), as the
    pod's own Envoy would show them: the declared address is in each endpoint's metadata
    (pilot/clusters.py)."""
    if isinstance(node, list):
        for v in node:
            _declared_ports(v)
    elif isinstance(node, dict):
        declared = ((node.get("metadata") or {}).get("filter_metadata") or {}).get(METADATA_NS)
        sock = ((node.get("endpoint") or {}).get("address") or {}).get("socket_address")
        if isinstance(declared, dict) and isinstance(sock, dict) and "address" in declared:
            _, _, port = str(declared["address"]).rpartition(":")
            if port.isdigit():
                sock["port_value"] = int(port)
        for v in node.values():
            _declared_ports(v)


def config_dump(text: str, proxy_id: str) -> str:
    """The admin's `/config_dump` with only this proxy's listeners, clusters and routes."""
    doc = _keep_own(json.loads(text), proxy_id)
    _declared_ports(doc)
    return json.dumps(doc, indent=2).replace(f"{proxy_id}|", "") + "\n"


def admin_lines(text: str, proxy_id: str) -> str:
    """`/clusters` and `/listeners` text: one `name::…` line per entry."""
    out = []
    for line in text.splitlines():
        owner = _mine(line.split("::", 1)[0], proxy_id)
        if owner is False:
            continue
        out.append(line.replace(f"{proxy_id}|", "") if owner else line)
    return "\n".join(out) + ("\n" if out else "")


def prometheus(text: str, proxy_id: str) -> str:
    """`/stats/prometheus`: labels name scoped clusters and listeners (`cluster_name="id|…"`)."""
    out = []
    for line in text.splitlines():
        others = [p for p in line.split('"')[1::2] if _mine(p, proxy_id) is False]
        if not others:
            out.append(line.replace(f"{proxy_id}|", ""))
    return "\n".join(out) + ("\n" if out else "")


def json_stats(text: str, proxy_id: str) -> str:
    """`/stats?format=json`: each statistic's name as the text form shows it."""
    doc = json.loads(text)
    kept = []
    for stat in doc.get("stats", []):
        name = stat.get("name")
        if isinstance(name, str):
            shown = proxy_stats(f"{name}: 0", proxy_id)
            if not shown:
                continue
            stat = {**stat, "name": shown.rsplit(": ", 1)[0]}
        kept.append(stat)
    return json.dumps({**doc, "stats": kept}, indent=2) + "\n"


def answer(path: str, body: str, proxy_id: str) -> str:
    """What pilot-agent prints for an admin path's answer, restricted to `proxy_id`."""
    base = path.lstrip("/").split("?", 1)[0]
    query = path.split("?", 1)[1] if "?" in path else ""
    if base == "stats" and "format=json" not in query:
        return proxy_stats(body, proxy_id)
    if base == "stats/prometheus":
        return prometheus(body, proxy_id)
    if base == "stats":
        return json_stats(body, proxy_id)
    if base == "config_dump":
        return config_dump(body, proxy_id)
    if base in ("clusters", "listeners") and "format=json" not in query:
        return admin_lines(body, proxy_id)
    return body


def request(admin: str, method: str, path: str, proxy_id: str) -> tuple[int, str]:
    base = path.lstrip("/").split("?", 1)[0]
    if method.upper() != "GET" or base not in READABLE:
        return 1, (
            f"Error: {method} {path}: the local cluster's Envoy is shared by every pod's proxy; "
            f"this pod may only read its own part (GET {', '.join(READABLE)})\n"
        )
    url = f"{admin.rstrip('/')}/{path.lstrip('/')}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
            body = resp.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return 1, f"Error: {exc.code} {exc.reason}\n"
    except OSError as exc:
        return 1, f"Error: failed to reach Envoy's admin ({exc}): is the local cluster up?\n"
    return 0, answer(path, body, proxy_id)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pilot-agent")
    parser.add_argument("--admin", required=True, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)
    req = sub.add_parser("request", help="Makes an HTTP request to the Envoy admin API")
    req.add_argument("method")
    req.add_argument("path")
    req.add_argument("body", nargs="?")
    req.add_argument("--debug-port", type=int, default=15000, help="ignored: one Envoy here")
    args = parser.parse_args(argv)
    pod, namespace = os.environ.get("POD_NAME"), os.environ.get("POD_NAMESPACE")
    if not pod or not namespace:
        print(
            "Error: POD_NAME and POD_NAMESPACE are not set: run in an istio-proxy container",
            file=sys.stderr,
        )
        return 1
    code, text = request(args.admin, args.method, args.path, f"{pod}.{namespace}")
    (sys.stdout if code == 0 else sys.stderr).write(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
