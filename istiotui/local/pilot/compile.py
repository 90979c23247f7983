"""`compile_mesh`: the whole Envoy configuration (listeners and clusters) for every proxy."""

from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any

from istiotui.local.pilot.clusters import Context, proxy_clusters
from istiotui.local.pilot.gateways import gateway_listeners
from istiotui.local.pilot.listeners import sidecar_listeners
from istiotui.local.pilot.model import PilotError, PilotOptions, gather
from istiotui.local.pilot.node_proxy import node_clusters, node_listeners

LISTENER_TYPE = "type.googleapis.com/envoy.config.listener.v3.Listener"
CLUSTER_TYPE = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")


def canonical(data: Any) -> str:
    """The JSON every hash and golden file uses: sorted keys, no insignificant spaces."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class EnvoyConfig:
    listeners: list[dict[str, Any]]
    clusters: list[dict[str, Any]]
    version: str
    # Things in the objects this pilot does not honour (each names the object and the field).
    warnings: tuple[str, ...] = field(default=())

    @property
    def log_files(self) -> list[str]:
        """Every access log path the listeners write (their directories must exist)."""
        found: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if str(node.get("@type", "")).endswith("FileAccessLog"):
                    found.add(node["path"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(self.listeners)
        return sorted(found)

    def listeners_response(self) -> dict[str, Any]:
        """LDS as a DiscoveryResponse (what a file-based xDS source holds)."""
        return _response(self.version, LISTENER_TYPE, self.listeners)

    def clusters_response(self) -> dict[str, Any]:
        return _response(self.version, CLUSTER_TYPE, self.clusters)


def _response(version: str, type_url: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "version_info": version,
        "resources": [{"@type": type_url, **r} for r in resources],
    }


def content_version(listeners: list[dict[str, Any]], clusters: list[dict[str, Any]]) -> str:
    digest = hashlib.sha256(canonical({"l": listeners, "c": clusters}).encode()).hexdigest()
    return digest[:16]


def compile_mesh(objects: list[dict[str, Any]], options: PilotOptions) -> EnvoyConfig:
    """Compile the mesh's objects into one Envoy configuration; PilotError names bad input."""
    if options.outbound_policy not in ("ALLOW_ANY", "REGISTRY_ONLY"):
        raise PilotError(
            f"outboundTrafficPolicy.mode: {options.outbound_policy!r} is not ALLOW_ANY or"
            " REGISTRY_ONLY"
        )
    ctx = Context(gather(objects), options)
    listeners: list[dict[str, Any]] = []
    clusters: list[dict[str, Any]] = []
    plain = []  # pods without a proxy: what a node gives them (DNS and kube-proxy)
    for pod in ctx.mesh.pods:
        if pod.is_gateway:
            listeners += gateway_listeners(ctx, pod)
        elif pod.has_sidecar:
            listeners += sidecar_listeners(ctx, pod)
        else:
            plain.append(pod)
            continue
        clusters += proxy_clusters(ctx, pod.proxy_id, pod.namespace)
    if plain:
        listeners += node_listeners(ctx, plain)
        clusters += node_clusters(ctx, plain)
    _check_addresses(listeners)
    return EnvoyConfig(
        listeners, clusters, content_version(listeners, clusters), tuple(ctx.warnings)
    )


def _check_addresses(listeners: list[dict[str, Any]]) -> None:
    seen: dict[tuple[str, int], str] = {}
    for lis in listeners:
        sock = lis["address"]["socket_address"]
        where = (sock["address"], sock["port_value"])
        try:
            address = ipaddress.ip_address(sock["address"])
        except ValueError:
            msg = f"listener {lis['name']}: {sock['address']!r} is not an IP address"
            raise PilotError(msg) from None
        if address.version != 4 or address not in LOOPBACK:
            raise PilotError(f"listener {lis['name']}: {sock['address']} is outside 127.0.0.0/8")
        if where in seen:
            raise PilotError(
                f"listeners {seen[where]} and {lis['name']} both bind {where[0]}:{where[1]}"
            )
        seen[where] = lis["name"]
