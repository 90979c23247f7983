"""Istio's webhook rules for DestinationRule."""

from __future__ import annotations

from typing import Any

from istiotui.mesh.istio_rules.common import Errors, as_dict, as_list
from istiotui.mesh.schemas.istio_values import (
    port_problem,
    wildcard_domain_problem,
)
from istiotui.mesh.schemas.meta import is_dns1123_label
from istiotui.mesh.schemas.walker import (
    NOT_SUPPORTED,
    REQUIRED,
    FieldError,
    child,
    index,
    show,
)


def destination_rule_errors(obj: dict[str, Any]) -> list[FieldError]:
    spec = as_dict(obj.get("spec"))
    out = Errors()
    host = spec.get("host")
    if isinstance(host, str):
        out.add("spec.host", wildcard_domain_problem(host))
    if spec.get("trafficPolicy") is not None:
        _traffic_policy(out, as_dict(spec["trafficPolicy"]), "spec.trafficPolicy")
    names: set[str] = set()
    for i, subset in enumerate(as_list(spec.get("subsets"))):
        subset, here = as_dict(subset), index("spec.subsets", i)
        name = subset.get("name")
        if isinstance(name, str):
            if not name:
                out.add(
                    child(here, "name"), "Required value: subset name cannot be empty", REQUIRED
                )
            elif not is_dns1123_label(name):
                out.add(child(here, "name"), f"Invalid value: {show(name)}: subset name is invalid")
            elif name in names:
                out.add(
                    child(here, "name"),
                    f"Duplicate value: {show(name)}: duplicate subset names",
                    "FieldValueDuplicate",
                )
            names.add(name)
        out.labels(subset.get("labels"), child(here, "labels"))
        if subset.get("trafficPolicy") is not None:
            _traffic_policy(out, as_dict(subset["trafficPolicy"]), child(here, "trafficPolicy"))
    selector = as_dict(spec.get("workloadSelector"))
    out.labels(selector.get("matchLabels"), "spec.workloadSelector.matchLabels")
    out.export_to(spec)
    namespace = as_dict(obj.get("metadata")).get("namespace")
    if spec.get("workloadSelector") is not None:
        for i, value in enumerate(as_list(spec.get("exportTo"))):
            if value not in (".", namespace):
                out.add(
                    index("spec.exportTo", i),
                    f"Invalid value: {show(value)}: destination rule with workload selector"
                    " cannot have exportTo beyond current namespace",
                )
    return out.items


def _traffic_policy(
    out: Errors, policy: dict[str, Any], path: str, *, port_level: bool = False
) -> None:
    fields = ("outlierDetection", "connectionPool", "loadBalancer", "tls")
    if not port_level:
        fields += ("portLevelSettings", "tunnel", "proxyProtocol")
    if not any(policy.get(k) is not None for k in fields):
        what = "port traffic policy" if port_level else "traffic policy"
        out.add(path, f"Required value: {what} must have at least one field", REQUIRED)
    if policy.get("tunnel") is not None and policy.get("proxyProtocol") is not None:
        out.add(path, "Invalid value: tunnel and proxyProtocol must not be set together")
    tunnel = as_dict(policy.get("tunnel"))
    if tunnel.get("protocol") not in (None, "", "CONNECT", "POST"):
        out.add(
            child(child(path, "tunnel"), "protocol"),
            f'Unsupported value: {show(tunnel["protocol"])}: tunnel protocol must be "CONNECT"'
            ' or "POST"',
            NOT_SUPPORTED,
        )
    out.add(child(child(path, "tunnel"), "targetPort"), port_problem(tunnel.get("targetPort")))
    if policy.get("outlierDetection") is not None:
        _outlier(out, as_dict(policy["outlierDetection"]), child(path, "outlierDetection"))
    if policy.get("connectionPool") is not None:
        _connection_pool(out, as_dict(policy["connectionPool"]), child(path, "connectionPool"))
    _load_balancer(out, as_dict(policy.get("loadBalancer")), child(path, "loadBalancer"))
    _client_tls(out, as_dict(policy.get("tls")), child(path, "tls"))
    seen: set[int] = set()
    for i, setting in enumerate(as_list(policy.get("portLevelSettings"))):
        setting, here = as_dict(setting), index(child(path, "portLevelSettings"), i)
        number = as_dict(setting.get("port")).get("number")
        if number is None:
            out.add(
                child(here, "port"),
                "Required value: portTrafficPolicy must have valid port",
                REQUIRED,
            )
        else:
            out.add(child(child(here, "port"), "number"), port_problem(number))
            if number in seen:
                out.add(
                    child(child(here, "port"), "number"),
                    f"Duplicate value: {number}: duplicate port level setting",
                    "FieldValueDuplicate",
                )
            seen.add(number)
        _traffic_policy(out, setting, here, port_level=True)


def _outlier(out: Errors, outlier: dict[str, Any], path: str) -> None:
    out.duration(outlier, "baseEjectionTime", path)
    out.duration(outlier, "interval", path)
    out.percent(outlier, "maxEjectionPercent", path, "maxEjectionPercent")
    out.percent(outlier, "minHealthPercent", path, "minHealthPercent")
    local = outlier.get("consecutiveLocalOriginFailures")
    if isinstance(local, int) and local > 0 and not outlier.get("splitExternalLocalOriginErrors"):
        out.add(
            child(path, "consecutiveLocalOriginFailures"),
            f"Invalid value: {local}: outlier detection consecutive local origin failures is"
            " specified, but split external local origin errors is set to false",
        )
    errors = outlier.get("consecutiveErrors")
    if isinstance(errors, int) and errors < 0:
        out.add(child(path, "consecutiveErrors"), f"Invalid value: {errors}: must be non-negative")


def _connection_pool(out: Errors, pool: dict[str, Any], path: str) -> None:
    if pool.get("http") is None and pool.get("tcp") is None:
        out.add(path, "Required value: connection pool must have at least one field", REQUIRED)
    http, tcp = as_dict(pool.get("http")), as_dict(pool.get("tcp"))
    for key in (
        "http1MaxPendingRequests",
        "http2MaxRequests",
        "maxRequestsPerConnection",
        "maxRetries",
        "maxConcurrentStreams",
    ):
        value = http.get(key)
        if isinstance(value, int) and value < 0:
            out.add(
                child(child(path, "http"), key),
                f"Invalid value: {value}: {key} must be non-negative",
            )
    out.duration(http, "idleTimeout", child(path, "http"))
    if http.get("h2UpgradePolicy") == "UPGRADE" and http.get("useClientProtocol"):
        out.add(
            child(child(path, "http"), "useClientProtocol"),
            "Invalid value: true: use client protocol must not be true when H2UpgradePolicy is"
            " UPGRADE",
        )
    max_connections = tcp.get("maxConnections")
    if isinstance(max_connections, int) and max_connections < 0:
        out.add(
            child(child(path, "tcp"), "maxConnections"),
            f"Invalid value: {max_connections}: max connections must be non-negative",
        )
    for key in ("connectTimeout", "maxConnectionDuration", "idleTimeout"):
        out.duration(tcp, key, child(path, "tcp"))
    keepalive = as_dict(tcp.get("tcpKeepalive"))
    for key in ("time", "interval"):
        out.duration(keepalive, key, child(child(path, "tcp"), "tcpKeepalive"))


_MAGLEV_MAX = 5000011


def _is_prime(n: int) -> bool:
    if n < 4:
        return n != 0  # as Envoy counts: 1, 2 and 3 pass
    if n % 2 == 0:
        return False
    return all(n % f for f in range(3, int(n**0.5) + 1, 2))


def _load_balancer(out: Errors, balancer: dict[str, Any], path: str) -> None:
    out.one_of(balancer, ("simple", "consistentHash"), path)
    hash_keys = ("httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName")
    out.one_of(balancer.get("consistentHash"), hash_keys, child(path, "consistentHash"))
    consistent = as_dict(balancer.get("consistentHash"))
    here = child(path, "consistentHash")
    out.one_of(consistent, ("ringHash", "maglev", "minimumRingSize"), here)
    maglev = consistent.get("maglev")
    if isinstance(maglev, dict):
        size = maglev.get("tableSize") or 0
        where = child(child(here, "maglev"), "tableSize")
        if not size:
            out.add(where, "Required value: tableSize must be set for maglev", REQUIRED)
        elif size >= _MAGLEV_MAX:
            out.add(where, f"Invalid value: {size}: tableSize must be less than {_MAGLEV_MAX}")
        elif not _is_prime(size):
            out.add(where, f"Invalid value: {size}: tableSize must be a prime number for maglev")
    cookie = as_dict(consistent.get("httpCookie"))
    # A cookie ttl of 0s is how a session cookie is asked for: it only has to parse.
    out.duration(
        cookie, "ttl", child(child(path, "consistentHash"), "httpCookie"), at_least_ms=False
    )
    out.duration(balancer, "warmupDurationSecs", path)


def _client_tls(out: Errors, tls: dict[str, Any], path: str) -> None:
    mode = tls.get("mode")
    files = [k for k in ("clientCertificate", "privateKey", "caCertificates") if tls.get(k)]
    if tls.get("credentialName") and files and mode in ("SIMPLE", "MUTUAL"):
        out.add(
            path,
            "Invalid value: cannot specify client certificates or CA certificate if"
            " credentialName is set",
        )
    if mode == "MUTUAL" and not tls.get("credentialName"):
        for key in ("clientCertificate", "privateKey"):
            if not tls.get(key):
                out.add(
                    child(path, key), f"Required value: {key} is required for mutual TLS", REQUIRED
                )
