"""Walk one request through one proxy's configuration, as Envoy would, and say why at each step.

listener (by port; a gateway's by its target port) → filter chain (HTTP, or TLS by SNI) → route
configuration → virtual host (by the Host header) → the first route whose match holds → its
destinations (clusters, weights) → each cluster's endpoints and policies. Where Envoy would give
up, the explanation carries the response flag it would log: `NR` (no route), `NC` (no cluster).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from istiotui.mesh.explain.dump import HCM, TCP_PROXY, ProxyConfig
from istiotui.mesh.explain.match import Request, pick_virtual_host, route_match
from istiotui.mesh.explain.policies import cluster_policies, route_policies
from istiotui.mesh.explain.provenance import config_ref


@dataclass
class Destination:
    cluster: str
    weight: int
    exists: bool
    endpoints: list[str] = field(default_factory=list)  # "address:port", or "ns/pod (address)"
    policies: dict[str, Any] = field(default_factory=dict)  # circuit breakers, outlier detection
    destination_rule: str | None = None  # "ns/name" when the cluster says which


@dataclass
class Skipped:
    index: int
    name: str
    failed: str  # the clause that did not hold


@dataclass
class Explanation:
    proxy: str
    request: Request
    listener: str | None = None
    filter_chain: str = ""  # "HTTP" or "TLS sni edition.cnn.com" …
    listener_port: int | None = None
    route_config: str | None = None
    virtual_host: str | None = None
    domain: str = ""  # the virtual host's domain that took the Host header
    route_index: int | None = None
    route_name: str = ""
    why: list[str] = field(default_factory=list)  # the clauses of the route that held
    skipped: list[Skipped] = field(default_factory=list)  # routes tried before it
    virtual_service: str | None = None  # "ns/name"
    rule: int | None = None  # the VirtualService's http[i] (tls[i]) the route came from
    rule_kind: str = "http"
    source: str | None = None  # file:line of the manifest that holds the VirtualService
    destinations: list[Destination] = field(default_factory=list)
    policies: dict[str, Any] = field(default_factory=dict)
    direct_response: int | None = None
    redirect: dict[str, Any] | None = None
    flag: str | None = None  # what Envoy's access log would say: NR, NC
    reason: str = ""  # why the flag (or why the walk stopped)
    notes: list[str] = field(default_factory=list)
    raw_route: dict[str, Any] | None = None  # the Envoy route that matched, as in the dump
    sni: list[str] = field(default_factory=list)  # the TLS filter chain's server names

    @property
    def clusters(self) -> list[str]:
        return [d.cluster for d in self.destinations]


def _filter(chain: dict[str, Any], name: str, type_suffix: str) -> dict[str, Any] | None:
    for f in chain.get("filters") or []:
        config = f.get("typed_config") or {}
        if f.get("name") == name or str(config.get("@type", "")).endswith(type_suffix):
            return config
    return None


def _hcm(chain: dict[str, Any]) -> dict[str, Any] | None:
    return _filter(chain, HCM, "HttpConnectionManager")


def _tcp(chain: dict[str, Any]) -> dict[str, Any] | None:
    return _filter(chain, TCP_PROXY, "TcpProxy")


def _port(lis: dict[str, Any]) -> int | None:
    sock = (lis.get("address") or {}).get("socket_address") or {}
    value = sock.get("port_value")
    return int(value) if isinstance(value, int) else None


def pick_listener(
    cfg: ProxyConfig, port: int, gateway: bool, target_port: int | None = None
) -> tuple[dict[str, Any] | None, str]:
    """The listener that takes a request to `port`, and how it was found.

    A sidecar's outbound traffic lands on `0.0.0.0_PORT` (iptables hand it over from
    `virtualOutbound`); a gateway's Service port leads to its target port (80 → 8080).
    """
    ports = [target_port, port] if gateway and target_port else [port]
    if gateway and target_port is None and port < 1024:
        ports.append(port + 8000)  # the Istio gateways' convention: 80 → 8080, 443 → 8443
    for p in ports:
        lis = cfg.listener(f"0.0.0.0_{p}")
        if lis is not None:
            how = f"port {p}" + (f" (the Service's port {port})" if p != port else "")
            return lis, how
    for p in ports:
        for lis in cfg.listeners:
            if lis.get("name") in ("virtualOutbound", "virtualInbound"):
                continue
            if lis.get("name", "").endswith(f"_{p}") or _port(lis) == p:
                return lis, f"port {p}"
    return None, ""


def _chain_for(lis: dict[str, Any], req: Request) -> tuple[dict[str, Any] | None, str]:
    chains = list(lis.get("filter_chains") or [])
    if lis.get("default_filter_chain"):
        chains.append(lis["default_filter_chain"])
    host = req.authority.rsplit(":", 1)[0] if req.authority.count(":") == 1 else req.authority
    if req.scheme == "https":
        for chain in chains:
            names = (chain.get("filter_chain_match") or {}).get("server_names") or []
            if host in names:
                return chain, f"TLS, SNI {host}"
        for chain in chains:
            m = chain.get("filter_chain_match") or {}
            if not m.get("server_names") and m.get("transport_protocol") != "raw_buffer":
                return chain, f"TLS, no chain for SNI {host}: the listener's fallback"
        return None, f"no filter chain for SNI {host}"
    for chain in chains:
        m = chain.get("filter_chain_match") or {}
        if m.get("server_names") or m.get("transport_protocol") == "tls":
            continue
        protocols = m.get("application_protocols")
        if protocols and not {"http/1.1", "h2c", "http/1.0"} & set(protocols):
            continue
        if _hcm(chain) is not None:
            return chain, "HTTP"
    for chain in chains:
        if _tcp(chain) is not None and not (chain.get("filter_chain_match") or {}).get(
            "server_names"
        ):
            return chain, "TCP"
    return None, "no filter chain for plain HTTP"


def explain(
    cfg: ProxyConfig,
    req: Request,
    port: int,
    *,
    gateway: bool = False,
    target_port: int | None = None,
    pods: dict[str, str] | None = None,
) -> Explanation:
    """The request's path through this proxy. `pods`: endpoint IP → "ns/pod", to name them."""
    out = Explanation(cfg.proxy, req)
    lis, how = pick_listener(cfg, port, gateway, target_port)
    if lis is None:
        out.reason = f"{cfg.proxy} has no listener for port {port}"
        if not gateway:
            out.notes.append("the request would leave through the passthrough or be refused")
        return out
    out.listener, out.listener_port = str(lis.get("name")), _port(lis)
    if any(x.get("name") == "virtualOutbound" for x in cfg.listeners) and not gateway:
        out.notes.append(f"captured by virtualOutbound (15001), handed to {out.listener} by {how}")
    chain, kind = _chain_for(lis, req)
    out.filter_chain = kind
    if chain is None:
        out.reason = f"listener {out.listener}: {kind}"
        return out
    hcm = _hcm(chain)
    if hcm is None:
        _tcp_destinations(cfg, out, chain, pods or {})
        return out
    _http(cfg, out, hcm, pods or {})
    return out


def _tcp_destinations(
    cfg: ProxyConfig, out: Explanation, chain: dict[str, Any], pods: dict[str, str]
) -> None:
    tcp = _tcp(chain) or {}
    out.sni = list((chain.get("filter_chain_match") or {}).get("server_names") or [])
    ref = config_ref(chain.get("metadata"))
    if ref is not None:
        out.virtual_service = ref.ref
        out.rule_kind = "tls" if out.request.scheme == "https" else "tcp"
    if tcp.get("weighted_clusters"):
        clusters = tcp["weighted_clusters"].get("clusters") or []
        targets = [(str(c["name"]), int(c.get("weight", 0))) for c in clusters]
    else:
        targets = [(str(tcp.get("cluster", "")), 100)]
    _destinations(cfg, out, targets, pods)


def _route_config(cfg: ProxyConfig, out: Explanation, hcm: dict[str, Any]) -> dict[str, Any] | None:
    if hcm.get("route_config"):
        rc = hcm["route_config"]
        out.route_config = str(rc.get("name", ""))
        return rc
    name = (hcm.get("rds") or {}).get("route_config_name")
    if name is None:
        out.reason = f"listener {out.listener}: the HTTP filter has neither route_config nor rds"
        return None
    out.route_config = str(name)
    rc = cfg.route_configs.get(str(name))
    if rc is None:
        out.flag = "NR"
        out.reason = f"route configuration {name} is not in the dump (RDS has not delivered it)"
    return rc


def _http(cfg: ProxyConfig, out: Explanation, hcm: dict[str, Any], pods: dict[str, str]) -> None:
    rc = _route_config(cfg, out, hcm)
    if rc is None:
        return
    req = out.request
    authority = req.authority
    host, _, port = authority.rpartition(":")
    if port.isdigit() and (
        hcm.get("strip_any_host_port")
        or (hcm.get("strip_matching_host_port") and int(port) == out.listener_port)
    ):
        authority = host
    vh, domain = pick_virtual_host(rc.get("virtual_hosts") or [], authority)
    if vh is None:
        out.flag = "NR"
        out.reason = (
            f"no virtual host of route configuration {out.route_config} takes host {authority}"
        )
        return
    out.virtual_host, out.domain = str(vh.get("name", "")), domain
    for i, route in enumerate(vh.get("routes") or []):
        ok, held, failed = route_match(route.get("match") or {}, req)
        name = str(route.get("name", ""))
        if not ok:
            out.skipped.append(Skipped(i, name, failed))
            continue
        out.route_index, out.route_name, out.why = i, name, held
        out.raw_route = route
        ref = config_ref(route.get("metadata"))
        if ref is not None:
            out.virtual_service = ref.ref
        _route(cfg, out, route, vh, pods)
        return
    out.flag = "NR"
    out.reason = f"no route of virtual host {out.virtual_host} matches {req.method} {req.path_only}"


def _route(
    cfg: ProxyConfig,
    out: Explanation,
    route: dict[str, Any],
    vh: dict[str, Any],
    pods: dict[str, str],
) -> None:
    out.policies = route_policies(route, vh)
    if route.get("direct_response"):
        out.direct_response = int(route["direct_response"].get("status", 200))
        out.reason = f"the route answers {out.direct_response} itself (direct response)"
        return
    if route.get("redirect"):
        out.redirect = dict(route["redirect"])
        out.reason = "the route answers with a redirect"
        return
    action = route.get("route") or {}
    if action.get("weighted_clusters"):
        wc = action["weighted_clusters"]
        targets = [(str(c["name"]), int(c.get("weight", 0))) for c in wc.get("clusters") or []]
    elif action.get("cluster"):
        targets = [(str(action["cluster"]), 100)]
    elif action.get("cluster_header"):
        out.reason = f"the cluster comes from header {action['cluster_header']} at request time"
        return
    else:
        out.reason = "the route has no action this tool reads"
        return
    _destinations(cfg, out, targets, pods)
    for mirror in out.policies.get("mirror") or []:
        if mirror["cluster"] not in cfg.clusters:
            out.notes.append(f"mirror cluster {mirror['cluster']} does not exist: nothing copied")


def _destinations(
    cfg: ProxyConfig, out: Explanation, targets: list[tuple[str, int]], pods: dict[str, str]
) -> None:
    total = sum(w for _, w in targets) or 1
    for name, weight in targets:
        cluster = cfg.clusters.get(name)
        d = Destination(name, round(100 * weight / total), cluster is not None)
        if cluster is not None:
            d.endpoints = [_named(a, pods) for a in cfg.endpoints.get(name, [])]
            d.policies = cluster_policies(cluster)
            ref = config_ref(cluster.get("metadata"))
            d.destination_rule = ref.ref if ref is not None else None
        out.destinations.append(d)
    missing = [d for d in out.destinations if not d.exists]
    if missing and len(missing) == len(out.destinations):
        out.flag = "NC"
        out.reason = "; ".join(_why_missing(d.cluster, cfg) for d in missing)
    elif missing:
        out.notes.append(
            "; ".join(_why_missing(d.cluster, cfg) for d in missing)
            + f" — requests given to it ({sum(d.weight for d in missing)} %) fail with NC"
        )


def _why_missing(name: str, cfg: ProxyConfig) -> str:
    parts = name.split("|")
    if len(parts) == 4 and parts[2]:
        _, port, subset, host = parts
        base = f"outbound|{port}||{host}"
        if base in cfg.clusters:
            return (
                f"cluster {name} does not exist: subset {subset} of {host} is defined by no"
                " DestinationRule this proxy sees"
            )
    return f"cluster {name} does not exist in {cfg.proxy}'s configuration"


def _named(address: str, pods: dict[str, str]) -> str:
    ip = address.rsplit(":", 1)[0]
    return f"{pods[ip]} ({address})" if ip in pods else address
