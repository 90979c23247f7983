"""One local proxy's config dump: the one Envoy's `/config_dump`, restricted to that proxy.

Every sidecar and gateway of the local cluster is a set of listeners and clusters named
`<pod>.<namespace>|…` inside one Envoy (pilot/names.py); restricting the dump to that prefix and
dropping it gives what the pod's own Envoy would answer on a real cluster.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from istiotui.local.pilot.names import METADATA_NS
from istiotui.mesh.explain.dump import restrict

TIMEOUT = 30.0


class ProxyDumpError(Exception):
    """The local Envoy could not be asked; the message says why."""


def proxy_id(namespace: str, pod: str) -> str:
    return f"{pod}.{namespace}"


def envoy_config_dump(admin_url: str) -> dict[str, Any]:
    url = admin_url.rstrip("/") + "/config_dump?include_eds"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
            return json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        why = f"the local Envoy's admin at {admin_url} did not answer: {exc}"
        raise ProxyDumpError(why) from None


def local_config_dump(admin_url: str, namespace: str, pod: str) -> dict[str, Any]:
    """The dump of pod NAMESPACE/POD's proxy; ProxyDumpError when Envoy knows nothing of it."""
    pid = proxy_id(namespace, pod)
    dump = restrict(envoy_config_dump(admin_url), pid)
    names = [
        e for c in dump["configs"] for key in ("dynamic_listeners", "dynamic_active_clusters")
        for e in c.get(key) or []
    ]  # fmt: skip
    if not names:
        raise ProxyDumpError(
            f"pod {namespace}/{pod} has no proxy in the local Envoy (no sidecar, not ready yet,"
            " or not a gateway)"
        )
    _declared_addresses(dump)
    return dump


def _declared_addresses(node: Any) -> None:
    """Endpoints at the ports pods declare (80), not where they are bound here (10080): the
    declared address is kept in each endpoint's metadata (pilot/clusters.py)."""
    if isinstance(node, list):
        for v in node:
            _declared_addresses(v)
    elif isinstance(node, dict):
        declared = ((node.get("metadata") or {}).get("filter_metadata") or {}).get(METADATA_NS)
        sock = ((node.get("endpoint") or {}).get("address") or {}).get("socket_address")
        if isinstance(declared, dict) and isinstance(sock, dict) and "address" in declared:
            _, _, port = str(declared["address"]).rpartition(":")
            if port.isdigit():
                sock["port_value"] = int(port)
        for v in node.values():
            _declared_addresses(v)


def _version(path: Path) -> str | None:
    try:
        return str(json.loads(path.read_bytes()).get("version_info") or "") or None
    except (OSError, ValueError):
        return None


def _dump_version(dump: dict[str, Any], suffix: str) -> str | None:
    for section in dump.get("configs") or []:
        if str(section.get("@type", "")).endswith(f".{suffix}"):
            return section.get("version_info")
    return None


def _status(pushed: str | None, applied: str | None) -> str:
    if pushed is None:
        return "NOT SENT"
    return "SYNCED" if pushed == applied else "STALE"


def proxy_status(state_root: Path, admin_url: str) -> list[dict[str, str]]:
    """Each proxy's configuration per type: SYNCED when Envoy serves what the pilot last wrote
    (the CDS/LDS files and the proxy's RDS files), STALE when it serves something older."""
    envoy_dir = state_root / "envoy"
    lds_file, cds_file = envoy_dir / "lds" / "lds.json", envoy_dir / "cds" / "cds.json"
    dump = envoy_config_dump(admin_url)
    cds = _status(_version(cds_file), _dump_version(dump, "ClustersConfigDump"))
    lds = _status(_version(lds_file), _dump_version(dump, "ListenersConfigDump"))
    try:
        listeners = json.loads(lds_file.read_bytes()).get("resources") or []
    except (OSError, ValueError):
        listeners = []
    # The pilot's route files per proxy and route table name, from the listeners it wrote.
    pushed: dict[str, dict[str, str | None]] = {}
    for lis in listeners:
        proxy = str(lis.get("name", "")).split("|", 1)[0]
        pushed.setdefault(proxy, {})  # a proxy whose route tables are all inline is listed too
        for chain in lis.get("filter_chains") or []:
            for f in chain.get("filters") or []:
                rds = (f.get("typed_config") or {}).get("rds") or {}
                source = (rds.get("config_source") or {}).get("path_config_source") or {}
                if source.get("path"):
                    table = str(rds.get("route_config_name"))
                    pushed.setdefault(proxy, {})[table] = _version(Path(source["path"]))
    anyone: dict[str, set[str]] = {}
    for section in dump.get("configs") or []:
        for e in section.get("dynamic_route_configs") or []:
            anyone.setdefault(str(e["route_config"].get("name")), set()).add(e.get("version_info"))
    out = []
    for proxy, tables in sorted(pushed.items()):
        mine = restrict(dump, proxy)
        served = {
            str(e["route_config"].get("name")): e.get("version_info")
            for section in mine["configs"]
            for e in section.get("dynamic_route_configs") or []
        }
        states = set()
        for name, version in tables.items():
            if name not in served and version in anyone.get(name, set()):
                served[name] = version  # a table that names none of its clusters (health)
            states.add(_status(version, served.get(name)))
        rds = "STALE" if "STALE" in states else ("NOT SENT" if "NOT SENT" in states else "SYNCED")
        # EDS: the local clusters carry their endpoints (STATIC), so they go with CDS.
        out.append({"name": proxy, "cds": cds, "lds": lds, "eds": cds, "rds": rds})
    return out
