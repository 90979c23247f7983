"""What a pod without a sidecar meets when it calls a name: cluster DNS and kube-proxy.

On a node, a pod outside the mesh resolves `svc`, `svc.ns` or `svc.ns.svc.cluster.local` through
the cluster's DNS to the Service's cluster IP, and kube-proxy sends the connection to one of the
Service's ready endpoints, round robin, with no Istio routing at all. This machine has neither, so
the one Envoy stands in for both at the node address (`addresses.node_ip`, 127.X.Y.0 of the pod's
/24): the client shims send a sidecar-less pod's calls there, where one listener per
service port picks the Service by the name the client used (Host, or SNI for TLS) and forwards
straight to a ready endpoint. Short names are the caller's namespace's: one filter chain per
namespace with sidecar-less pods, matched by their pod IPs. No VirtualService, DestinationRule,
retry, fault or access log applies. A name no Service has answers 502 with `UNRESOLVED_HEADER`,
which the client shims turn into curl's `Could not resolve host` (exit 6), what DNS would say.

Clusters (one per Service port) are shared by all sidecar-less pods and listeners (one per port)
by all of a /24's, so the cost grows with the Services, not with Services × pods.
"""

from __future__ import annotations

from typing import Any

from istiotui.local.addresses import UNRESOLVED_HEADER, bind_port, node_ip
from istiotui.local.pilot.clusters import Context, endpoints, no_limits
from istiotui.local.pilot.filters import HEALTH_PORT, listener, tcp_proxy
from istiotui.local.pilot.listeners import mesh_ports, service_domains
from istiotui.local.pilot.model import PilotError, Pod, Service
from istiotui.local.pilot.names import host_aliases

NODE = "node"
_T = "type.googleapis.com/envoy.extensions"


def node_cluster(port: int, host: str) -> str:
    return f"{NODE}|{port}|{host}"


def _cluster(name: str, found: list[dict[str, Any]], source: str) -> dict[str, Any]:
    # kube-proxy balances connections, not requests, and limits nothing.
    return {
        "name": name,
        "type": "STATIC",
        "connect_timeout": "10s",
        "lb_policy": "ROUND_ROBIN",
        "circuit_breakers": no_limits(),
        "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": found}]},
        # From the node address: a server-side sidecar takes it in as a caller of the pod network.
        "upstream_bind_config": {"source_address": {"address": source, "port_value": 0}},
    }


def _node_address(pods: list[Pod]) -> str:
    try:
        return node_ip(pods[0].ip)
    except ValueError as exc:
        raise PilotError(f"Pod {pods[0].namespace}/{pods[0].name}: status.podIP: {exc}") from None


def node_clusters(ctx: Context, pods: list[Pod]) -> list[dict[str, Any]]:
    """One cluster per Kubernetes Service port (its ready endpoints) and external stand-in."""
    source = _node_address(pods)
    out = []
    for svc in ctx.mesh.services:
        if svc.is_entry:
            continue  # ServiceEntries are Istio's; DNS and kube-proxy know nothing of them
        for p in svc.ports:
            found = endpoints(ctx, svc, p.port, {})
            out.append(_cluster(node_cluster(p.port, svc.host), found, source))
    for host, (address, port) in sorted(ctx.options.external_hosts.items()):
        # The stand-in plays the host's public address, as DNS would give it.
        where = {"address": address, "port_value": bind_port(address, port)}
        found = [{"endpoint": {"address": {"socket_address": where}}}]
        out.append(_cluster(node_cluster(port, host), found, source))
    return out


def _services(ctx: Context, port: int, protocol: str) -> list[Service]:
    return [
        s
        for s in ctx.mesh.services
        if not s.is_entry and (p := s.port(port)) is not None and p.protocol == protocol
    ]


def _route_table(ctx: Context, port: int, namespace: str) -> dict[str, Any]:
    vhosts, taken = [], set()
    for svc in _services(ctx, port, "HTTP"):
        domains = [d for d in service_domains(svc, port, namespace) if d not in taken]
        if not domains:
            continue
        taken.update(domains)
        route = {"cluster": node_cluster(port, svc.host), "timeout": "0s"}
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
    return {"name": f"{NODE}_{port}_{namespace or '-'}", "virtual_hosts": vhosts}


def _http_chain(ctx: Context, port: int, namespace: str, pods: list[Pod]) -> dict[str, Any]:
    hcm = {
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": {
            "@type": f"{_T}.filters.network.http_connection_manager.v3.HttpConnectionManager",
            "stat_prefix": f"{NODE}_{port}_{namespace or '-'}",
            "route_config": _route_table(ctx, port, namespace),
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
        },
    }
    chain: dict[str, Any] = {"filters": [hcm]}
    if pods:
        ranges = [{"address_prefix": p.ip, "prefix_len": 32} for p in pods]
        chain["filter_chain_match"] = {"source_prefix_ranges": ranges}
    return chain


def _forward(stat: str, cluster: str) -> dict[str, Any]:
    proxy = tcp_proxy(stat, [(cluster, 1)], "")
    proxy["typed_config"].pop("access_log")  # kube-proxy logs nothing
    return proxy


def _tls_chains(ctx: Context, port: int) -> list[dict[str, Any]]:
    chains, claimed = [], set()
    names_for = [(svc.host, host_aliases(svc.host, "")) for svc in _services(ctx, port, "TLS")]
    names_for += [(h, [h]) for h, (_, p) in sorted(ctx.options.external_hosts.items()) if p == port]
    for host, aliases in names_for:
        names = [h for h in aliases if h not in claimed]
        claimed.update(names)
        if names:
            stat = f"{NODE}_{port}_{host}"
            chains.append(
                {
                    "filter_chain_match": {"server_names": names},
                    "filters": [_forward(stat, node_cluster(port, host))],
                }
            )
    return chains


def node_listeners(ctx: Context, pods: list[Pod]) -> list[dict[str, Any]]:
    """The listeners sidecar-less pods' calls reach: one per service port on each node address."""
    nodes: dict[str, list[Pod]] = {}
    for pod in pods:
        nodes.setdefault(_node_address([pod]), []).append(pod)
    out = []
    for address, group in sorted(nodes.items()):
        out += _node_listeners(ctx, address, group)
    return out


def _node_listeners(ctx: Context, address: str, pods: list[Pod]) -> list[dict[str, Any]]:
    by_namespace: dict[str, list[Pod]] = {}
    for pod in pods:
        by_namespace.setdefault(pod.namespace, []).append(pod)
    out = []
    for port, kind in mesh_ports(ctx).items():
        if port == HEALTH_PORT:
            continue
        name = f"{NODE}.{address}|{port}"
        if kind == "HTTP":
            chains = [_http_chain(ctx, port, ns, group) for ns, group in by_namespace.items()]
            chains.append(_http_chain(ctx, port, "", []))  # any other caller: no short names
            out.append(listener(name, address, port, chains, False))
        elif kind == "TLS":
            chains = _tls_chains(ctx, port)
            if chains:
                out.append(listener(name, address, port, chains, True))
        else:
            owners = _services(ctx, port, "TCP")
            if owners:
                proxy = _forward(f"{NODE}_{port}", node_cluster(port, owners[0].host))
                out.append(listener(name, address, port, [{"filters": [proxy]}], False))
    return out
