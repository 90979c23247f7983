"""Gateway pods: their Gateway servers become Envoy listeners on the pod's IP.

A server's port is looked up among the ports of the Services that select the gateway pod and
translated to the Service's targetPort (server port 80 → listener 8080), as istiod does; a port
no Service declares is used as it is. The way in from this machine is the lab's own
`kubectl port-forward svc/istio-ingressgateway -n istio-system 8080:80`, served by the local API
to the gateway pod's address: nothing of the mesh listens on a host port.
"""

from __future__ import annotations

from typing import Any

from istiotui.local.pilot.clusters import Context
from istiotui.local.pilot.filters import (
    HEALTH_PORT,
    health_listener,
    http_connection_manager,
    listener,
    log_path,
)
from istiotui.local.pilot.listeners import tls_chains
from istiotui.local.pilot.model import Obj, PilotError, Pod, selects
from istiotui.local.pilot.names import fqdn, hosts_intersect, scoped
from istiotui.local.pilot.routes import Vantage, http_routes

HTTP_PROTOCOLS = ("HTTP", "HTTP2", "GRPC")


def selecting_gateways(ctx: Context, pod: Pod) -> list[Obj]:
    return [g for g in ctx.mesh.gateways if selects(g.spec.get("selector") or {}, pod.labels)]


def target_port(ctx: Context, pod: Pod, number: int) -> int:
    for svc in ctx.mesh.services:
        if svc.is_entry or svc.namespace != pod.namespace or not selects(svc.selector, pod.labels):
            continue
        p = svc.port(number)
        if p is None:
            continue
        if isinstance(p.target_port, int):
            return p.target_port
        if str(p.target_port).isdigit():
            return int(p.target_port)
        if p.target_port in pod.container_ports:
            return pod.container_ports[str(p.target_port)]
    return number


def _server_hosts(gw: Obj, server: dict[str, Any], vs: Obj) -> list[str]:
    """The server's hosts a VirtualService may bind to (`ns/host` restricts by namespace)."""
    out = []
    for h in server.get("hosts") or []:
        ns, _, host = str(h).rpartition("/")
        if ns in ("", "*") or (ns == "." and vs.namespace == gw.namespace) or ns == vs.namespace:
            out.append(host)
    return out


def _bound(ctx: Context, ref: str) -> list[Obj]:
    v = Vantage("", "", {}, 0, ref)
    return [vs for vs in ctx.mesh.virtual_services if v.bound(vs.spec.get("gateways"), vs)]


def _http_listener_chains(
    ctx: Context, pod: Pod, servers: list[tuple[Obj, dict[str, Any]]], target: int, log: str
) -> dict[str, Any]:
    vhosts: dict[str, dict[str, Any]] = {}
    for gw, server in servers:
        number = int(server["port"]["number"])
        ref = f"{gw.namespace}/{gw.name}"
        v = Vantage(pod.proxy_id, pod.namespace, pod.labels, number, ref)
        https_redirect = bool((server.get("tls") or {}).get("httpsRedirect"))
        for vs in _bound(ctx, ref):
            if not vs.spec.get("http"):
                continue
            for server_host in _server_hosts(gw, server, vs):
                for h in vs.spec.get("hosts") or []:
                    host = hosts_intersect(server_host, fqdn(str(h), vs.namespace))
                    if host is None:
                        continue
                    vh = vhosts.get(host)
                    if vh is None:
                        domains = ["*"] if host == "*" else [host, f"{host}:*"]
                        vh = {"name": f"{host}:{number}", "domains": domains, "routes": []}
                        vh["include_request_attempt_count"] = True
                        vhosts[host] = vh
                    if https_redirect:
                        vh["require_tls"] = "ALL"
                    seen = vh.setdefault("_from", set())
                    if vs.ref not in seen:  # a VS reached through two servers adds its routes once
                        seen.add(vs.ref)
                        vh["routes"].extend(http_routes(ctx, v, vs))
    for vh in vhosts.values():
        vh.pop("_from", None)
    route_config = {
        "name": f"http.{target}",
        "virtual_hosts": [vhosts[h] for h in sorted(vhosts)],
        "validate_clusters": False,
    }
    stat = scoped(pod.proxy_id, f"outbound_0.0.0.0_{target}")
    return http_connection_manager(stat, route_config, log, gateway=True)


def gateway_listeners(ctx: Context, pod: Pod) -> list[dict[str, Any]]:
    """The listeners of one gateway pod, on its pod IP."""
    log = log_path(ctx.options, pod.namespace, pod.name)
    by_target: dict[int, list[tuple[Obj, dict[str, Any]]]] = {}
    for gw in selecting_gateways(ctx, pod):
        for i, server in enumerate(gw.spec.get("servers") or []):
            number = (server.get("port") or {}).get("number")
            if not isinstance(number, int):
                raise PilotError(f"{gw.ref}: spec.servers[{i}].port.number is required")
            by_target.setdefault(target_port(ctx, pod, number), []).append((gw, server))
    out = [health_listener(pod.proxy_id, pod.ip)]
    for target, servers in sorted(by_target.items()):
        if target == HEALTH_PORT:
            ctx.warn(f"gateway pod {pod.proxy_id}: port {HEALTH_PORT} is the proxy's status port")
            continue
        http = [(g, s) for g, s in servers if _protocol(s) in HTTP_PROTOCOLS]
        passthrough = [
            (g, s)
            for g, s in servers
            if _protocol(s) in ("TLS", "HTTPS")
            and (s.get("tls") or {}).get("mode") in ("PASSTHROUGH", "AUTO_PASSTHROUGH")
        ]
        for g, s in servers:
            if (g, s) not in http and (g, s) not in passthrough:
                ctx.warn(
                    f"{g.ref}: server on port {s['port']['number']} ({_protocol(s)},"
                    f" tls mode {(s.get('tls') or {}).get('mode', '-')}) is not served here"
                )
        name = scoped(pod.proxy_id, f"0.0.0.0_{target}")
        if http:
            if passthrough:
                ctx.warn(
                    f"gateway pod {pod.proxy_id}: port {target} mixes HTTP and TLS; TLS dropped"
                )
            chain = {"filters": [_http_listener_chains(ctx, pod, http, target, log)]}
            out.append(listener(name, pod.ip, target, [chain], False))
        elif passthrough:
            chains = []
            claimed: set[str] = set()
            for gw, server in passthrough:
                ref = f"{gw.namespace}/{gw.name}"
                v = Vantage(
                    pod.proxy_id, pod.namespace, pod.labels, int(server["port"]["number"]), ref
                )
                chains += tls_chains(ctx, v, _bound(ctx, ref), log, claimed)
            if chains:
                out.append(listener(name, pod.ip, target, chains, True))
    return out


def _protocol(server: dict[str, Any]) -> str:
    return str((server.get("port") or {}).get("protocol") or "HTTP").upper()
