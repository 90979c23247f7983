"""What a pod without a sidecar meets when it calls a name: cluster DNS and kube-proxy.

On a node, a pod outside the mesh resolves `svc`, `svc.ns` or `svc.ns.svc.cluster.local` through
the cluster's DNS to the Service's cluster IP, and kube-proxy sends the connection to one of the
Service's ready endpoints, round robin, with no Istio routing at all. This machine has neither, so
the one Envoy stands in for both: a sidecar-less pod's calls go to its node address (the address a
sidecar would have, `addresses.sidecar_ip`), where listeners pick the Service by the name the
client used (Host, or SNI for TLS) and forward straight to a ready endpoint. No VirtualService,
DestinationRule, retry, fault or access log applies; nothing is added to the request beyond what a
proxy must add. A name no Service has answers 502 with `UNRESOLVED_HEADER`, which the client shims
turn into curl's `Could not resolve host` (exit 6), what DNS would have said.
"""

from __future__ import annotations

from typing import Any

from istiotui.local.addresses import UNRESOLVED_HEADER, bind_port, sidecar_ip
from istiotui.local.pilot.clusters import MAX_UINT32, Context, endpoints
from istiotui.local.pilot.filters import HEALTH_PORT, listener, tcp_proxy
from istiotui.local.pilot.listeners import mesh_ports, service_domains
from istiotui.local.pilot.model import PilotError, Pod, Service
from istiotui.local.pilot.names import host_aliases

_T = "type.googleapis.com/envoy.extensions"


def node_cluster(pod: Pod, port: int, host: str) -> str:
    return f"{node_id(pod)}|{port}|{host}"


def node_id(pod: Pod) -> str:
    return f"node.{pod.proxy_id}"


def _cluster(name: str, found: list[dict[str, Any]]) -> dict[str, Any]:
    # kube-proxy balances connections, not requests, and limits nothing.
    limits = {
        "max_connections": MAX_UINT32,
        "max_pending_requests": MAX_UINT32,
        "max_requests": MAX_UINT32,
        "max_retries": MAX_UINT32,
    }
    return {
        "name": name,
        "type": "STATIC",
        "connect_timeout": "10s",
        "lb_policy": "ROUND_ROBIN",
        "circuit_breakers": {"thresholds": [limits]},
        "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": found}]},
    }


def node_clusters(ctx: Context, pod: Pod) -> list[dict[str, Any]]:
    """One cluster per Kubernetes Service port (its ready endpoints) and external stand-in for
    a sidecar-less pod, leaving from its pod IP (a server-side sidecar logs it as its caller)."""
    out = []
    for svc in ctx.mesh.services:
        if svc.is_entry:
            continue  # ServiceEntries are Istio's; DNS and kube-proxy know nothing of them
        for p in svc.ports:
            name = node_cluster(pod, p.port, svc.host)
            out.append(_cluster(name, endpoints(ctx, svc, p.port, {})))
    for host, (address, port) in sorted(ctx.options.external_hosts.items()):
        # The stand-in plays the host's public address, as DNS would give it.
        where = {"address": address, "port_value": bind_port(address, port)}
        found = [{"endpoint": {"address": {"socket_address": where}}}]
        out.append(_cluster(node_cluster(pod, port, host), found))
    bind = {"source_address": {"address": pod.ip, "port_value": 0}}
    return [{**c, "upstream_bind_config": bind} for c in out]


def _services(ctx: Context, port: int, protocol: str) -> list[Service]:
    return [
        s
        for s in ctx.mesh.services
        if not s.is_entry and (p := s.port(port)) is not None and p.protocol == protocol
    ]


def _http_chain(ctx: Context, pod: Pod, port: int) -> dict[str, Any]:
    vhosts, taken = [], set()
    for svc in _services(ctx, port, "HTTP"):
        domains = [d for d in service_domains(svc, port, pod.namespace) if d not in taken]
        if not domains:
            continue
        taken.update(domains)
        route = {"cluster": node_cluster(pod, port, svc.host), "timeout": "0s"}
        vhosts.append(
            {
                "name": f"{svc.host}:{port}",
                "domains": domains,
                "routes": [{"name": "default", "match": {"prefix": "/"}, "route": route}],
            }
        )
    unresolved = {
        "name": "unresolved",
        "match": {"prefix": "/"},
        "direct_response": {"status": 502},
        "response_headers_to_add": [{"header": {"key": UNRESOLVED_HEADER, "value": "1"}}],
    }
    vhosts.append({"name": "unresolved", "domains": ["*"], "routes": [unresolved]})
    hcm = {
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": {
            "@type": f"{_T}.filters.network.http_connection_manager.v3.HttpConnectionManager",
            "stat_prefix": f"{node_id(pod)}_{port}",
            "route_config": {"name": f"node_{port}", "virtual_hosts": vhosts},
            "http_filters": [
                {
                    "name": "envoy.filters.http.router",
                    "typed_config": {
                        "@type": f"{_T}.filters.http.router.v3.Router",
                        "suppress_envoy_headers": True,
                    },
                }
            ],
            # A connection forwarded, not a proxy's request: no id, no server name of its own.
            "generate_request_id": False,
            "server_header_transformation": "PASS_THROUGH",
            "normalize_path": False,
        },
    }
    return {"filters": [hcm]}


def _tls_chains(ctx: Context, pod: Pod, port: int) -> list[dict[str, Any]]:
    chains, claimed = [], set()
    for svc in _services(ctx, port, "TLS"):
        names = [h for h in host_aliases(svc.host, pod.namespace) if h not in claimed]
        claimed.update(names)
        if names:
            cluster = node_cluster(pod, port, svc.host)
            chains.append(_sni_chain(names, cluster, f"{node_id(pod)}_{port}_{svc.host}"))
    for host, (_, standin_port) in sorted(ctx.options.external_hosts.items()):
        if standin_port == port and host not in claimed:
            claimed.add(host)
            chains.append(
                _sni_chain([host], node_cluster(pod, port, host), f"{node_id(pod)}_{port}_{host}")
            )
    return chains


def _forward(stat: str, cluster: str) -> dict[str, Any]:
    proxy = tcp_proxy(stat, [(cluster, 1)], "")
    proxy["typed_config"].pop("access_log")  # kube-proxy logs nothing
    return proxy


def _sni_chain(names: list[str], cluster: str, stat: str) -> dict[str, Any]:
    return {"filter_chain_match": {"server_names": names}, "filters": [_forward(stat, cluster)]}


def node_listeners(ctx: Context, pod: Pod) -> list[dict[str, Any]]:
    """The listeners a sidecar-less pod's calls reach: one per service port of the cluster."""
    try:
        address = sidecar_ip(pod.ip)
    except ValueError as exc:
        raise PilotError(f"Pod {pod.namespace}/{pod.name}: status.podIP: {exc}") from None
    out = []
    for port, kind in mesh_ports(ctx).items():
        if port == HEALTH_PORT:
            continue
        name = f"{node_id(pod)}|{port}"
        if kind == "HTTP":
            out.append(listener(name, address, port, [_http_chain(ctx, pod, port)], False))
        elif kind == "TLS":
            chains = _tls_chains(ctx, pod, port)
            if chains:
                out.append(listener(name, address, port, chains, True))
        else:
            owners = _services(ctx, port, "TCP")
            if owners:
                proxy = _forward(f"{node_id(pod)}_{port}", node_cluster(pod, port, owners[0].host))
                out.append(listener(name, address, port, [{"filters": [proxy]}], False))
    return out
