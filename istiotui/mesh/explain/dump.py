"""One proxy's Envoy configuration, read from the JSON of its admin `/config_dump`.

The dump is a list of typed sections (`…BootstrapConfigDump`, `…ListenersConfigDump`,
`…ClustersConfigDump`, `…RoutesConfigDump`, `…EndpointsConfigDump` with `?include_eds`); each holds
static and dynamic entries in its own wrapper (`active_state.listener`, `cluster`, `route_config`,
`endpoint_config`). `ProxyConfig` indexes them by name, which is all the walk needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HCM = "envoy.filters.network.http_connection_manager"
TCP_PROXY = "envoy.filters.network.tcp_proxy"


class DumpError(ValueError):
    """The JSON is not an Envoy config dump; the message says what is missing."""


@dataclass
class ProxyConfig:
    proxy: str
    listeners: list[dict[str, Any]] = field(default_factory=list)
    route_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    clusters: dict[str, dict[str, Any]] = field(default_factory=dict)
    # cluster name → its endpoints' "address:port" (EDS, or a static cluster's load_assignment)
    endpoints: dict[str, list[str]] = field(default_factory=dict)

    def listener(self, name: str) -> dict[str, Any] | None:
        return next((lis for lis in self.listeners if lis.get("name") == name), None)


def _section(configs: list[dict[str, Any]], suffix: str) -> dict[str, Any]:
    for c in configs:
        if str(c.get("@type", "")).endswith(f".{suffix}"):  # not ScopedRoutesConfigDump
            return c
    return {}


def _addresses(load_assignment: dict[str, Any]) -> list[str]:
    out = []
    for locality in load_assignment.get("endpoints") or []:
        for lb in locality.get("lb_endpoints") or []:
            endpoint = lb.get("endpoint") or {}
            sock = (endpoint.get("address") or {}).get("socket_address") or {}
            if "address" in sock:
                # A hostname names the pod behind a sidecar's address (the local cluster's way in).
                address = endpoint.get("hostname") or sock["address"]
                out.append(f"{address}:{sock.get('port_value', 0)}")
    return out


def node_id(dump: dict[str, Any]) -> str:
    configs = dump.get("configs") or []
    boot = _section(configs, "BootstrapConfigDump").get("bootstrap") or {}
    return str((boot.get("node") or {}).get("id") or "")


def parse_dump(dump: dict[str, Any], proxy: str = "") -> ProxyConfig:
    """Index a config dump; `proxy` names it in what is shown (default: the node id)."""
    configs = dump.get("configs") if isinstance(dump, dict) else None
    if not isinstance(configs, list):
        raise DumpError("not an Envoy config dump: no `configs` list at the top")
    out = ProxyConfig(proxy or node_id(dump))
    lds = _section(configs, "ListenersConfigDump")
    for entry in lds.get("static_listeners") or []:
        if entry.get("listener"):
            out.listeners.append(entry["listener"])
    for entry in lds.get("dynamic_listeners") or []:
        active = (entry.get("active_state") or {}).get("listener")
        if active:
            out.listeners.append(active)
    rds = _section(configs, "RoutesConfigDump")
    for key in ("static_route_configs", "dynamic_route_configs"):
        for entry in rds.get(key) or []:
            rc = entry.get("route_config") or {}
            if rc.get("name") is not None:
                out.route_configs[str(rc["name"])] = rc
    cds = _section(configs, "ClustersConfigDump")
    for key in ("static_clusters", "dynamic_active_clusters"):
        for entry in cds.get(key) or []:
            c = entry.get("cluster") or {}
            if c.get("name"):
                out.clusters[c["name"]] = c
                if c.get("load_assignment"):
                    out.endpoints[c["name"]] = _addresses(c["load_assignment"])
    eds = _section(configs, "EndpointsConfigDump")
    for key in ("static_endpoint_configs", "dynamic_endpoint_configs"):
        for entry in eds.get(key) or []:
            ec = entry.get("endpoint_config") or {}
            if ec.get("cluster_name"):
                out.endpoints[ec["cluster_name"]] = _addresses(ec)
    if not out.listeners and not out.clusters:
        raise DumpError("the config dump holds no listeners and no clusters")
    return out


def restrict(dump: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The part of a dump whose listeners and clusters are named `PREFIX|…`, names unprefixed.

    For one Envoy that serves several proxies under prefixed names (the local cluster's): every
    string that starts with the prefix loses it, so route actions, stat prefixes and metadata
    read as the proxy's own.
    """
    head = f"{prefix}|"

    def strip(node: Any) -> Any:
        if isinstance(node, str):
            return node[len(head) :] if node.startswith(head) else node
        if isinstance(node, list):
            return [strip(v) for v in node]
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items()}
        return node

    def mentions(node: Any) -> bool:
        if isinstance(node, str):
            return node.startswith(head)
        if isinstance(node, list):
            return any(mentions(v) for v in node)
        if isinstance(node, dict):
            return any(mentions(v) for v in node.values())
        return False

    def mine(entry: dict[str, Any], *path: str) -> bool:
        if path == ("route_config", "name"):
            # Route configurations keep Istio's names (`9080`): theirs are those whose routes
            # lead to its clusters.
            return mentions(entry.get("route_config"))
        node: Any = entry
        for key in path:
            node = (node or {}).get(key) if isinstance(node, dict) else None
        return isinstance(node, str) and node.startswith(head)

    wanted = {
        "static_listeners": ("listener", "name"),
        "dynamic_listeners": ("name",),
        "static_clusters": ("cluster", "name"),
        "dynamic_active_clusters": ("cluster", "name"),
        "dynamic_warming_clusters": ("cluster", "name"),
        "static_endpoint_configs": ("endpoint_config", "cluster_name"),
        "dynamic_endpoint_configs": ("endpoint_config", "cluster_name"),
        "static_route_configs": ("route_config", "name"),
        "dynamic_route_configs": ("route_config", "name"),
    }
    configs = []
    for section in dump.get("configs") or []:
        kept = dict(section)
        for key, path in wanted.items():
            if key in kept:
                kept[key] = [strip(e) for e in kept[key] or [] if mine(e, *path)]
        configs.append(kept)
    return {"configs": configs}
