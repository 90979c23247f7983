"""A sidecar's outbound listeners: one per service port of the mesh, bound on its sidecar IP."""

from __future__ import annotations

from typing import Any

from istiotui.local.addresses import sidecar_ip
from istiotui.local.pilot.clusters import Context, passthrough_name
from istiotui.local.pilot.filters import (
    HEALTH_PORT,
    health_listener,
    http_connection_manager,
    listener,
    log_path,
    tcp_proxy,
)
from istiotui.local.pilot.inbound import with_inbound
from istiotui.local.pilot.model import Obj, PilotError, Pod, Service
from istiotui.local.pilot.names import (
    BLACKHOLE,
    PASSTHROUGH,
    config_metadata,
    fqdn,
    host_aliases,
    host_matches,
    istio_cluster,
    scoped,
)
from istiotui.local.pilot.routes import Vantage, default_route, destination_cluster, http_routes


def mesh_ports(ctx: Context) -> dict[int, str]:
    """Each service port of the mesh and how its listener speaks: HTTP wins over TLS over TCP.

    The ports of the external hosts with a stand-in count as TLS ports: iptables would capture
    a call to them whether or not the mesh knows the host (ALLOW_ANY passes it through)."""
    kinds: dict[int, set[str]] = {}
    for svc in ctx.mesh.services:
        for p in svc.ports:
            kinds.setdefault(p.port, set()).add(p.protocol)
    for _, port in ctx.options.external_hosts.values():
        kinds.setdefault(port, set()).add("TLS")
    rank = ("HTTP", "TLS", "TCP")
    return {port: next(k for k in rank if k in found) for port, found in sorted(kinds.items())}


def virtual_service_for(ctx: Context, host: str, v: Vantage) -> Obj | None:
    """The VirtualService that routes `host` for this vantage: the oldest one that claims it."""
    for vs in ctx.mesh.virtual_services:
        if not v.bound(vs.spec.get("gateways"), vs):
            continue
        if any(host_matches(fqdn(str(h), vs.namespace), host) for h in vs.spec.get("hosts") or []):
            return vs
    return None


def service_domains(svc: Service, port: int, client_ns: str) -> list[str]:
    names = host_aliases(svc.host, client_ns)
    return [d for name in names for d in (name, f"{name}:{port}")]


def _fallback_vhost(ctx: Context, proxy_id: str) -> dict[str, Any]:
    if ctx.outbound_policy == "REGISTRY_ONLY":
        route = {"name": "block_all", "match": {"prefix": "/"}, "direct_response": {"status": 502}}
        return {"name": "block_all", "domains": ["*"], "routes": [route]}
    route = {
        "name": "allow_any",
        "match": {"prefix": "/"},
        "route": {"cluster": scoped(proxy_id, PASSTHROUGH), "timeout": "0s"},
    }
    return {"name": "allow_any", "domains": ["*"], "routes": [route]}


def _http_listener(ctx: Context, pod: Pod, v: Vantage, address: str, log: str) -> dict[str, Any]:
    port = v.port
    vhosts = []
    taken: set[str] = set()
    for svc in ctx.mesh.services:
        sp = svc.port(port)
        if sp is None or sp.protocol != "HTTP":
            continue
        domains = [d for d in service_domains(svc, port, pod.namespace) if d not in taken]
        if not domains:
            continue
        taken.update(domains)
        vs = virtual_service_for(ctx, svc.host, v)
        routes = http_routes(ctx, v, vs) if vs is not None and vs.spec.get("http") else []
        if vs is None or not vs.spec.get("http"):
            routes = [default_route(v.proxy_id, port, svc.host)]
        vhosts.append(
            {
                "name": f"{svc.host}:{port}",
                "domains": domains,
                "routes": routes,
                "include_request_attempt_count": True,
            }
        )
    vhosts.append(_fallback_vhost(ctx, v.proxy_id))
    route_config = {"name": str(port), "virtual_hosts": vhosts, "validate_clusters": False}
    stat = scoped(v.proxy_id, f"outbound_0.0.0.0_{port}")
    hcm = http_connection_manager(stat, route_config, log, gateway=False)
    return listener(
        scoped(v.proxy_id, f"0.0.0.0_{port}"), address, port, [{"filters": [hcm]}], False
    )


def tls_chains(
    ctx: Context, v: Vantage, candidates: list[Obj], log: str, claimed: set[str]
) -> list[dict[str, Any]]:
    """Filter chains from VirtualService tls routes: match SNI, pass the TLS stream through."""
    chains = []
    for vs in candidates:
        for i, rule in enumerate(vs.spec.get("tls") or []):
            where = f"spec.tls[{i}]"
            for j, match in enumerate(rule.get("match") or []):
                if match.get("port") is not None and match["port"] != v.port:
                    continue
                if not v.bound(match.get("gateways") or vs.spec.get("gateways"), vs):
                    continue
                sni = [str(h) for h in match.get("sniHosts") or []]
                if not sni:
                    raise PilotError(f"{vs.ref}: {where}.match[{j}].sniHosts is required")
                names = [h for h in sni if h not in claimed]
                if not names:
                    continue
                claimed.update(names)
                targets = []
                for k, d in enumerate(rule.get("route") or []):
                    cluster = destination_cluster(
                        ctx, v, d.get("destination"), vs, f"{where}.route[{k}].destination"
                    )
                    targets.append((cluster, int(d.get("weight") or 0)))
                if len(targets) > 1:
                    targets = [t for t in targets if t[1] > 0]
                if not targets:
                    raise PilotError(f"{vs.ref}: {where}.route has no destination")
                stat = targets[0][0]  # stats per proxy, like the clusters (see stats.py)
                chains.append(
                    {
                        "filter_chain_match": {"server_names": names},
                        "filters": [tcp_proxy(stat, targets, log)],
                        "metadata": config_metadata("virtual-service", vs.namespace, vs.name),
                    }
                )
    return chains


def _tls_listener(ctx: Context, v: Vantage, address: str, log: str) -> dict[str, Any]:
    port = v.port
    claimed: set[str] = set()
    chains = tls_chains(ctx, v, ctx.mesh.virtual_services, log, claimed)
    for svc in ctx.mesh.services:
        sp = svc.port(port)
        if sp is None or sp.protocol != "TLS":
            continue
        names = [h for h in host_aliases(svc.host, v.namespace) if h not in claimed]
        if not names:
            continue
        claimed.update(names)
        cluster = scoped(v.proxy_id, istio_cluster(port, "", svc.host))
        chains.append(
            {
                "filter_chain_match": {"server_names": names},
                "filters": [tcp_proxy(cluster, [(cluster, 1)], log)],
            }
        )
    if ctx.outbound_policy == "ALLOW_ANY":
        # Hosts the mesh does not know leave through PassthroughCluster; those with a stand-in
        # reach it (on a node: the internet), the rest go nowhere.
        for host, (_, standin_port) in sorted(ctx.options.external_hosts.items()):
            if host in claimed or standin_port != port:
                continue
            claimed.add(host)
            cluster = scoped(v.proxy_id, passthrough_name(host))
            chains.append(
                {
                    "filter_chain_match": {"server_names": [host]},
                    "filters": [tcp_proxy(scoped(v.proxy_id, PASSTHROUGH), [(cluster, 1)], log)],
                }
            )
    fallback = BLACKHOLE if ctx.outbound_policy == "REGISTRY_ONLY" else PASSTHROUGH
    fallback = scoped(v.proxy_id, fallback)
    chains.append({"filters": [tcp_proxy(fallback, [(fallback, 1)], log)]})
    return listener(scoped(v.proxy_id, f"0.0.0.0_{port}"), address, port, chains, True)


def _tcp_listener(ctx: Context, v: Vantage, address: str, log: str) -> dict[str, Any] | None:
    owners = [s for s in ctx.mesh.services if (p := s.port(v.port)) and p.protocol == "TCP"]
    if len(owners) > 1:
        ctx.warn(
            f"TCP port {v.port}: several services use it ({', '.join(s.host for s in owners)});"
            f" without service addresses sidecars send it to {owners[0].host}"
        )
    name = istio_cluster(v.port, "", owners[0].host)
    cluster = scoped(v.proxy_id, name)
    chain = {"filters": [tcp_proxy(cluster, [(cluster, 1)], log)]}
    return listener(scoped(v.proxy_id, f"0.0.0.0_{v.port}"), address, v.port, [chain], False)


def sidecar_listeners(ctx: Context, pod: Pod) -> list[dict[str, Any]]:
    try:
        address = sidecar_ip(pod.ip)
    except ValueError as exc:
        raise PilotError(f"Pod {pod.namespace}/{pod.name}: status.podIP: {exc}") from None
    log = log_path(ctx.options, pod.namespace, pod.name)
    out = [health_listener(pod.proxy_id, address)]
    for port, kind in mesh_ports(ctx).items():
        if port == HEALTH_PORT:
            # The proxy's own readiness port (like Istio, traffic to it is not the mesh's).
            continue
        v = Vantage(pod.proxy_id, pod.namespace, pod.labels, port)
        if kind == "HTTP":
            out.append(_http_listener(ctx, pod, v, address, log))
        elif kind == "TLS":
            out.append(_tls_listener(ctx, v, address, log))
        else:
            tcp = _tcp_listener(ctx, v, address, log)
            if tcp is not None:
                out.append(tcp)
    return with_inbound(ctx, pod, log, out)
