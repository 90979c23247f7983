"""Clusters: one per service port and DestinationRule subset, per proxy, as istiod builds them."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from istiotui.local.addresses import bind_port, sidecar_ip
from istiotui.local.pilot.model import Mesh, Obj, PilotError, PilotOptions, Pod, Service, selects
from istiotui.local.pilot.names import (
    BLACKHOLE,
    METADATA_NS,
    PASSTHROUGH,
    config_metadata,
    fqdn,
    host_matches,
    istio_cluster,
    scoped,
)
from istiotui.mesh.durations import parse_duration

MAX_UINT32 = 4294967295
DEFAULT_CONNECT_TIMEOUT = "10s"
_LB = {
    "ROUND_ROBIN": "ROUND_ROBIN",
    "LEAST_CONN": "LEAST_REQUEST",
    "LEAST_REQUEST": "LEAST_REQUEST",
    "RANDOM": "RANDOM",
    "UNSPECIFIED": "LEAST_REQUEST",
}
HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
T = TypeVar("T")


@dataclass
class Context:
    """Everything a builder reads, plus the notes it leaves about what it could not honour.

    It also holds what one compile works out once for all proxies: ready pods indexed by
    namespace and label (a Service's endpoints without scanning every pod) and each
    (service, port, subset)'s endpoints, which every proxy's cluster for it shares."""

    mesh: Mesh
    options: PilotOptions
    warnings: list[str] = field(default_factory=list)
    _pods_by_label: dict[tuple[str, str, str], list[Pod]] | None = field(default=None, repr=False)
    _endpoints: dict[tuple[Any, ...], tuple[list[dict[str, Any]], tuple[str, ...]]] = field(
        default_factory=dict, repr=False
    )
    # Set by a compile that keeps clusters between compiles (compile_cache): builds or reuses.
    build_cluster: Callable[..., dict[str, Any]] | None = field(default=None, repr=False)
    _proxies: dict[str, Pod] | None = field(default=None, repr=False)

    @property
    def outbound_policy(self) -> str:
        """ALLOW_ANY or REGISTRY_ONLY: the installed mesh config's, else the options'."""
        return self.mesh.outbound_policy or self.options.outbound_policy

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def proxy(self, proxy_id: str) -> Pod | None:
        """The pod whose sidecar or gateway is `proxy_id`."""
        if self._proxies is None:
            self._proxies = {p.proxy_id: p for p in self.mesh.pods}
        return self._proxies.get(proxy_id)

    def source_address(self, proxy_id: str) -> str | None:
        """Where a proxy's upstream connections leave from: its own address, so the server
        side's sidecar can tell them from its pod's own calls (see inbound.py)."""
        pod = self.proxy(proxy_id)
        if pod is None:
            return None
        return sidecar_ip(pod.ip) if pod.has_sidecar else pod.ip

    def ready_pods(self, namespace: str, selector: dict[str, str]) -> list[Pod]:
        """Ready pods of `namespace` whose labels include all of a (non-empty) `selector`, in
        the mesh's pod order."""
        if self._pods_by_label is None:
            index: dict[tuple[str, str, str], list[Pod]] = {}
            for pod in self.mesh.pods:
                if pod.ready:
                    for key, value in pod.labels.items():
                        index.setdefault((pod.namespace, key, value), []).append(pod)
            self._pods_by_label = index
        lists = [self._pods_by_label.get((namespace, k, v), []) for k, v in selector.items()]
        fewest = min(lists, key=len)
        return [pod for pod in fewest if selects(selector, pod.labels)]

    def captured(self, build: Callable[[], T]) -> tuple[T, tuple[str, ...]]:
        """`build()`'s result and the warnings it gave (also given to this context)."""
        outer, self.warnings = self.warnings, []
        try:
            result = build()
        finally:
            notes, self.warnings = tuple(self.warnings), outer
        for note in notes:
            self.warn(note)
        return result, notes


def duration(text: Any, where: str) -> str:
    """An Istio duration as Envoy's JSON duration (`1.5s`)."""
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise PilotError(f"{where}: {exc}") from None
    return f"{seconds:.9f}".rstrip("0").rstrip(".") + "s"


def destination_rule(ctx: Context, host: str, client_ns: str) -> Obj | None:
    """The DestinationRule a client in `client_ns` applies to `host`.

    Istio's lookup order: the client's namespace, then the service's, then any other.
    """
    exact, wildcard = [], []
    for dr in ctx.mesh.destination_rules:
        pattern = fqdn(str(dr.spec.get("host", "")), dr.namespace)
        if pattern == host:
            exact.append(dr)
        elif host_matches(pattern, host):
            wildcard.append(dr)
    matches = exact + wildcard  # an exact host beats a wildcard one
    svc = ctx.mesh.service(host)
    for wanted in (client_ns, svc.namespace if svc else None):
        for dr in matches:
            if dr.namespace == wanted:
                return dr
    return matches[0] if matches else None


def subset_spec(dr: Obj, subset: str) -> dict[str, Any] | None:
    for s in dr.spec.get("subsets") or []:
        if s.get("name") == subset:
            return s
    return None


def _port_level(policy: dict[str, Any], port: int) -> dict[str, Any]:
    merged = {k: v for k, v in policy.items() if k != "portLevelSettings"}
    for pls in policy.get("portLevelSettings") or []:
        if (pls.get("port") or {}).get("number") == port:
            merged.update({k: v for k, v in pls.items() if k != "port"})
    return merged


def traffic_policy(dr: Obj | None, subset: str, port: int) -> dict[str, Any]:
    """The effective policy: top level, its port settings, then the subset's (each field whole)."""
    if dr is None:
        return {}
    policy = _port_level(dr.spec.get("trafficPolicy") or {}, port)
    if subset:
        s = subset_spec(dr, subset)
        if s is not None:
            policy.update(_port_level(s.get("trafficPolicy") or {}, port))
    return policy


def _endpoint(address: str, port: int, shown: str | None = None) -> dict[str, Any]:
    where = {"address": address, "port_value": bind_port(address, port)}
    # The declared address, for the access log's upstream host column (see filters.py): a pod
    # reached through its sidecar's inbound side still shows as the pod.
    declared = {METADATA_NS: {"address": f"{shown or address}:{port}"}}
    endpoint: dict[str, Any] = {"address": {"socket_address": where}}
    if shown:  # `/clusters` names the pod beside the sidecar's address (the traffic graph reads it)
        endpoint["hostname"] = shown
    return {"endpoint": endpoint, "metadata": {"filter_metadata": declared}}


def pod_port(pod: Pod, target: int | str) -> int | None:
    if isinstance(target, int):
        return target
    if target.isdigit():
        return int(target)
    return pod.container_ports.get(target)


def endpoints_key(svc: Service, number: int, subset_labels: dict[str, str]) -> tuple[Any, ...]:
    """What one compile's endpoints are remembered by (the record itself, by identity)."""
    return (id(svc), number, tuple(sorted(subset_labels.items())))


def endpoints(
    ctx: Context, svc: Service, number: int, subset_labels: dict[str, str]
) -> list[dict[str, Any]]:
    """Where a cluster sends traffic: selected pods' IP and target port, or the entry's hosts."""
    key = endpoints_key(svc, number, subset_labels)
    known = ctx._endpoints.get(key)
    if known is None:
        known = ctx.captured(lambda: _endpoints(ctx, svc, number, subset_labels))
        ctx._endpoints[key] = known
    else:
        for note in known[1]:
            ctx.warn(note)
    return list(known[0])


def _endpoints(
    ctx: Context, svc: Service, number: int, subset_labels: dict[str, str]
) -> list[dict[str, Any]]:
    port = svc.port(number)
    assert port is not None
    found: list[dict[str, Any]] = []
    if svc.selector is not None:
        for pod in ctx.ready_pods(svc.namespace, svc.selector):
            if not selects(subset_labels, pod.labels):
                continue
            target = pod_port(pod, port.target_port)
            if target is None:
                continue
            if pod.has_sidecar:  # in through the pod's sidecar, as iptables would send it
                found.append(_endpoint(sidecar_ip(pod.ip), target, shown=pod.ip))
            else:
                found.append(_endpoint(pod.ip, target))
    if svc.is_entry:
        for address, ports, labels in svc.entry_endpoints:
            if selects(subset_labels, labels):
                host, mapped = _external(ctx, address, svc, number)
                if not _is_ip(host):
                    # No DNS on this machine's mesh: a name is reachable only through a stand-in.
                    ctx.warn(
                        f"ServiceEntry host {svc.host}: endpoint {address} has no local stand-in"
                        " address; it is left out"
                    )
                    continue
                found.append(_endpoint(host, ports.get(port.name, mapped)))
        if not svc.entry_endpoints and svc.selector is None:
            if svc.host in ctx.options.external_hosts:
                found.append(_endpoint(*_external(ctx, svc.host, svc, number)))
            else:
                ctx.warn(
                    f"ServiceEntry host {svc.host}: no local stand-in address is known for it;"
                    " connections to it fail"
                )
    return found


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _external(ctx: Context, host: str, svc: Service, number: int) -> tuple[str, int]:
    """A stand-in's address: its mapped port for the entry's only (or same-numbered) port."""
    if host not in ctx.options.external_hosts:
        return host, number
    address, port = ctx.options.external_hosts[host]
    return address, port if (len(svc.ports) == 1 or port == number) else number


def no_limits() -> dict[str, Any]:
    """Circuit breakers that limit nothing (Envoy's defaults would cap at 1024): what a
    cluster of the cluster's own plumbing (inbound, the node's kube-proxy) gets."""
    limits = ("max_connections", "max_pending_requests", "max_requests", "max_retries")
    return {"thresholds": [dict.fromkeys(limits, MAX_UINT32)]}


def _circuit_breakers(pool: dict[str, Any]) -> dict[str, Any]:
    tcp, http = pool.get("tcp") or {}, pool.get("http") or {}

    def limit(value: Any) -> int:
        return int(value) if isinstance(value, int) and value > 0 else MAX_UINT32

    return {
        "thresholds": [
            {
                "max_connections": limit(tcp.get("maxConnections")),
                "max_pending_requests": limit(http.get("http1MaxPendingRequests")),
                "max_requests": limit(http.get("http2MaxRequests")),
                "max_retries": limit(http.get("maxRetries")),
                "track_remaining": True,
            }
        ]
    }


def _outlier(od: dict[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field_name, key, enforcing in (
        ("consecutive5xxErrors", "consecutive_5xx", "enforcing_consecutive_5xx"),
        (
            "consecutiveGatewayErrors",
            "consecutive_gateway_failure",
            "enforcing_consecutive_gateway_failure",
        ),
    ):
        if field_name in od:
            value = int(od[field_name])
            out[key] = value
            out[enforcing] = 100 if value > 0 else 0
    for field_name, key in (("interval", "interval"), ("baseEjectionTime", "base_ejection_time")):
        if field_name in od:
            out[key] = duration(od[field_name], f"{where}.{field_name}")
    if od.get("maxEjectionPercent"):
        out["max_ejection_percent"] = int(od["maxEjectionPercent"])
    out["enforcing_success_rate"] = 0
    return out


def subset_labels(dr: Obj | None, subset: str) -> dict[str, str]:
    if not subset or dr is None:
        return {}
    return dict((subset_spec(dr, subset) or {}).get("labels") or {})


def build_cluster(
    ctx: Context,
    proxy_id: str,
    svc: Service,
    number: int,
    subset: str,
    dr: Obj | None,
) -> dict[str, Any]:
    port = svc.port(number)
    assert port is not None
    name = istio_cluster(number, subset, svc.host)
    where = f"{dr.ref}: spec" if dr else ""
    labels = subset_labels(dr, subset)
    policy = traffic_policy(dr, subset, number)
    pool = policy.get("connectionPool") or {}
    cluster: dict[str, Any] = {
        "name": scoped(proxy_id, name),
        "type": "STATIC",
        "connect_timeout": DEFAULT_CONNECT_TIMEOUT,
        "lb_policy": "LEAST_REQUEST",
        "circuit_breakers": _circuit_breakers(pool),
        "load_assignment": {
            "cluster_name": scoped(proxy_id, name),
            "endpoints": [{"lb_endpoints": endpoints(ctx, svc, number, labels)}],
        },
        "metadata": {"filter_metadata": {METADATA_NS: {"istio_name": name, "proxy": proxy_id}}},
    }
    if dr is not None:  # istiod names the rule a cluster was built with
        meta = config_metadata("destination-rule", dr.namespace, dr.name)
        cluster["metadata"]["filter_metadata"].update(meta["filter_metadata"])
    tcp = pool.get("tcp") or {}
    if "connectTimeout" in tcp:
        cluster["connect_timeout"] = duration(
            tcp["connectTimeout"], f"{where}.connectionPool.tcp.connectTimeout"
        )
    lb = policy.get("loadBalancer") or {}
    if "simple" in lb:
        if lb["simple"] not in _LB:
            ctx.warn(f"{where}.loadBalancer.simple {lb['simple']} is not supported here")
        cluster["lb_policy"] = _LB.get(lb["simple"], "LEAST_REQUEST")
    elif lb:
        ctx.warn(f"{where}.loadBalancer: only `simple` is supported here")
    if port.protocol == "HTTP":
        http = pool.get("http") or {}
        common: dict[str, Any] = {}
        if http.get("maxRequestsPerConnection"):
            common["max_requests_per_connection"] = int(http["maxRequestsPerConnection"])
        if "idleTimeout" in http:
            common["idle_timeout"] = duration(
                http["idleTimeout"], f"{where}.connectionPool.http.idleTimeout"
            )
        h2 = port.name.startswith(("http2", "grpc"))
        options: dict[str, Any] = {
            "@type": f"type.googleapis.com/{HTTP_PROTOCOL_OPTIONS}",
            "explicit_http_config": {
                "http2_protocol_options" if h2 else "http_protocol_options": {}
            },
        }
        if common:
            options["common_http_protocol_options"] = common
        cluster["typed_extension_protocol_options"] = {HTTP_PROTOCOL_OPTIONS: options}
    od = policy.get("outlierDetection")
    if od is not None:
        cluster["outlier_detection"] = _outlier(od, f"{where}.outlierDetection")
        cluster["common_lb_config"] = {
            "healthy_panic_threshold": {"value": float(od.get("minHealthPercent") or 0)}
        }
    tls_mode = (policy.get("tls") or {}).get("mode")
    if tls_mode in ("SIMPLE", "MUTUAL"):
        ctx.warn(f"{where}.tls.mode {tls_mode}: TLS origination is not done here")
    return _bound(ctx, proxy_id, cluster)


def special_clusters(proxy_id: str) -> list[dict[str, Any]]:
    """PassthroughCluster and BlackHoleCluster, as catch-alls without endpoints.

    Istio's PassthroughCluster is ORIGINAL_DST; here the original destination is the sidecar
    address itself, so a host nobody stands in for has nowhere to go (503 UH). The hosts that
    do have a stand-in get a passthrough cluster each (`passthrough_clusters`).
    """
    return [
        {
            "name": scoped(proxy_id, name),
            "type": "STATIC",
            "connect_timeout": DEFAULT_CONNECT_TIMEOUT,
            "load_assignment": {"cluster_name": scoped(proxy_id, name), "endpoints": []},
            "metadata": {"filter_metadata": {METADATA_NS: {"istio_name": name, "proxy": proxy_id}}},
        }
        for name in (BLACKHOLE, PASSTHROUGH)
    ]


def passthrough_name(host: str) -> str:
    """Istio's PassthroughCluster for one external host that has a local stand-in."""
    return f"{PASSTHROUGH}|{host}"


def passthrough_clusters(ctx: Context, proxy_id: str) -> list[dict[str, Any]]:
    """Under ALLOW_ANY, what PassthroughCluster's original destination would be for each
    external host with a stand-in: the stand-in's address. The access log and the stats name
    them PassthroughCluster, as Istio's one ORIGINAL_DST cluster would be named."""
    if ctx.outbound_policy != "ALLOW_ANY":
        return []
    out = []
    for host, (address, port) in sorted(ctx.options.external_hosts.items()):
        name = scoped(proxy_id, passthrough_name(host))
        meta = {"istio_name": PASSTHROUGH, "proxy": proxy_id}
        out.append(
            {
                "name": name,
                "alt_stat_name": scoped(proxy_id, PASSTHROUGH),
                "type": "STATIC",
                "connect_timeout": DEFAULT_CONNECT_TIMEOUT,
                "load_assignment": {
                    "cluster_name": name,
                    "endpoints": [{"lb_endpoints": [_endpoint(address, port)]}],
                },
                "metadata": {"filter_metadata": {METADATA_NS: meta}},
            }
        )
    return out


def _bound(ctx: Context, proxy_id: str, cluster: dict[str, Any]) -> dict[str, Any]:
    source = ctx.source_address(proxy_id)
    if source is None:
        return cluster
    bind = {"source_address": {"address": source, "port_value": 0}}
    return {**cluster, "upstream_bind_config": bind}


def proxy_clusters(ctx: Context, proxy_id: str, client_ns: str) -> list[dict[str, Any]]:
    """Every cluster one proxy gets: each service port, plus one per subset of its rule."""
    out = [
        _bound(ctx, proxy_id, c)
        for c in special_clusters(proxy_id) + passthrough_clusters(ctx, proxy_id)
    ]
    seen = {c["name"] for c in out}
    build = ctx.build_cluster or build_cluster
    for svc in ctx.mesh.services:
        dr = destination_rule(ctx, svc.host, client_ns)
        subsets = [""]
        if dr is not None:
            subsets += [str(s.get("name")) for s in dr.spec.get("subsets") or []]
        for port in svc.ports:
            for subset in subsets:
                name = scoped(proxy_id, istio_cluster(port.port, subset, svc.host))
                if name not in seen:  # a host defined twice: the oldest definition wins
                    seen.add(name)
                    out.append(build(ctx, proxy_id, svc, port.port, subset, dr))
    proxy = ctx.proxy(proxy_id)
    if proxy is not None and proxy.has_sidecar:
        # inbound.py builds on this module (Context, limits): imported here, not above.
        from istiotui.local.pilot.inbound import inbound_clusters

        out += inbound_clusters(ctx, proxy)
    return out
