"""Istio's webhook rules for VirtualService."""

from __future__ import annotations

from typing import Any

from istiotui.mesh.durations import parse_duration
from istiotui.mesh.istio_rules.common import Errors, as_dict, as_list
from istiotui.mesh.schemas.istio_values import (
    duration_problem,
    header_name_problem,
    header_operation_problem,
    host_subset_of,
    hosts_overlap,
    http_status_problem,
    is_ip,
    is_ip_or_cidr,
    port_problem,
    regex_problem,
    wildcard_domain_problem,
)
from istiotui.mesh.schemas.walker import (
    FORBIDDEN,
    NOT_SUPPORTED,
    REQUIRED,
    FieldError,
    child,
    index,
    show,
)

_RETRY_ON = {
    "5xx",
    "gateway-error",
    "reset",
    "reset-before-request",
    "connect-failure",
    "envoy-ratelimited",
    "retriable-4xx",
    "refused-stream",
    "retriable-status-codes",
    "retriable-headers",
    "http3-post-connect-failure",
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
}
_GRPC_STATUS = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
}
_DIRECT_RESPONSE_MAX = 1024 * 1024
_CORS_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}


def virtual_service_errors(obj: dict[str, Any]) -> list[FieldError]:
    spec = as_dict(obj.get("spec"))
    out = Errors()
    hosts = [h for h in as_list(spec.get("hosts")) if isinstance(h, str)]
    gateways = as_list(spec.get("gateways"))
    applies_to_mesh = not gateways or "mesh" in gateways
    if not as_list(spec.get("hosts")):
        # Without hosts a VirtualService is a delegate, which only a gateway-bound one may name.
        _delegate(out, spec)
    valid = True
    for i, host in enumerate(hosts):
        problem = wildcard_domain_problem(host)
        if problem and not is_ip(host):
            out.add(index("spec.hosts", i), problem)
            valid = False
        elif host == "*" and applies_to_mesh:
            out.add(
                index("spec.hosts", i),
                'Invalid value: "*": wildcard host * is not allowed for virtual services bound to'
                " the mesh gateway",
            )
            valid = False
    for i, host in enumerate(hosts if valid else []):
        for other in hosts[:i]:
            if hosts_overlap(host, other):
                out.add(
                    index("spec.hosts", i),
                    f"Duplicate value: {show(host)}: duplicate hosts in virtual service:"
                    f" {other} & {host}",
                    "FieldValueDuplicate",
                )
                break
    out.gateways(gateways, "spec.gateways")
    if not any(as_list(spec.get(k)) for k in ("http", "tcp", "tls")):
        out.add(
            "spec.http",
            "Required value: http, tcp or tls must be provided in virtual service",
            REQUIRED,
        )
    for i, route in enumerate(as_list(spec.get("http"))):
        _http_route(out, as_dict(route), index("spec.http", i))
    for i, route in enumerate(as_list(spec.get("tls"))):
        _tls_route(out, as_dict(route), index("spec.tls", i), hosts)
    for i, route in enumerate(as_list(spec.get("tcp"))):
        route, here = as_dict(route), index("spec.tcp", i)
        for j, match in enumerate(as_list(route.get("match"))):
            _l4_match(out, as_dict(match), index(child(here, "match"), j))
        if not as_list(route.get("route")):
            out.add(child(here, "route"), "Required value: TCP route is required", REQUIRED)
        _route_destinations(out, route.get("route"), child(here, "route"))
    out.export_to(spec)
    return out.items


def _delegate(out: Errors, spec: dict[str, Any]) -> None:
    for key, what in (("gateways", "gateways"), ("tls", "tls route"), ("tcp", "tcp route")):
        if as_list(spec.get(key)):
            out.add(
                f"spec.{key}",
                f"Forbidden: a virtual service without hosts is a delegate, and a delegate"
                f" virtual service must have no {what} specified",
                FORBIDDEN,
            )


def _http_route(out: Errors, route: dict[str, Any], path: str) -> None:
    destinations = as_list(route.get("route"))
    redirect = child(path, "redirect")
    if route.get("redirect") is not None:
        if destinations:
            out.add(
                redirect, "Forbidden: HTTP route cannot contain both route and redirect", FORBIDDEN
            )
        if route.get("fault") is not None:
            out.add(
                redirect, "Forbidden: HTTP route cannot contain both fault and redirect", FORBIDDEN
            )
        if route.get("rewrite") is not None:
            out.add(
                redirect,
                "Forbidden: HTTP route rule cannot contain both rewrite and redirect",
                FORBIDDEN,
            )
    elif not destinations and route.get("directResponse") is None and route.get("delegate") is None:
        out.add(
            child(path, "route"),
            "Required value: HTTP route or redirect or direct response is required",
            REQUIRED,
        )
    _header_ops(out, route.get("headers"), child(path, "headers"))
    _cors(out, as_dict(route.get("corsPolicy")), child(path, "corsPolicy"))
    if route.get("fault") is not None:
        _fault(out, as_dict(route["fault"]), child(path, "fault"))
    for j, match in enumerate(as_list(route.get("match"))):
        _http_match(out, as_dict(match), index(child(path, "match"), j))
    mirror_percent = route.get("mirrorPercent")
    if isinstance(mirror_percent, int) and mirror_percent > 100:
        out.add(
            child(path, "mirrorPercent"),
            f"Invalid value: {mirror_percent}: mirror_percent must have a max value of 100",
        )
    out.percentage(route, "mirrorPercentage", path, "mirror_percentage")
    if route.get("mirror") is not None:
        out.destination(route["mirror"], child(path, "mirror"))
    for j, mirror in enumerate(as_list(route.get("mirrors"))):
        here = index(child(path, "mirrors"), j)
        out.destination(as_dict(mirror).get("destination"), child(here, "destination"))
        out.percentage(as_dict(mirror), "percentage", here, "mirror percentage")
    _redirect(out, route.get("redirect"), redirect)
    _rewrite(out, route.get("rewrite"), child(path, "rewrite"))
    _retries(out, route.get("retries"), child(path, "retries"))
    direct = route.get("directResponse")
    if isinstance(direct, dict):
        status = child(child(path, "directResponse"), "status")
        out.add(status, http_status_problem(direct.get("status")))
        body = as_dict(direct.get("body"))
        size = len(str(body.get("string") or body.get("bytes") or ""))
        if size > _DIRECT_RESPONSE_MAX:
            out.add(
                child(child(path, "directResponse"), "body"),
                "Invalid value: large direct_responses may impact control plane performance,"
                " must be less than 1MB",
            )
    _route_destinations(out, destinations, child(path, "route"), http=True)
    out.duration(route, "timeout", path)


def _http_match(out: Errors, match: dict[str, Any], path: str) -> None:
    for key in ("headers", "withoutHeaders"):
        for name, header in as_dict(match.get(key)).items():
            here = child(child(path, key), str(name))
            if header is None:
                out.add(here, f"Required value: header match {name} cannot be null", REQUIRED)
            out.add(here, header_name_problem(str(name)))
            out.string_match(header, here, "headers")
    out.add(child(path, "port"), port_problem(match.get("port")))
    out.labels(match.get("sourceLabels"), child(path, "sourceLabels"))
    out.gateways(match.get("gateways"), child(path, "gateways"))
    for key in ("uri", "scheme", "method", "authority"):
        if match.get(key) is not None:
            out.string_match(match[key], child(path, key), key)
    for name, param in as_dict(match.get("queryParams")).items():
        out.string_match(param, child(child(path, "queryParams"), str(name)), "queryParams")


def _route_destinations(out: Errors, routes: Any, path: str, *, http: bool = False) -> None:
    # Weights are relative shares (current Istio no longer asks for a total of 100): only a
    # negative weight, or several destinations that all weigh 0, are refused.
    total = 0
    for i, route in enumerate(as_list(routes)):
        route, here = as_dict(route), index(path, i)
        out.destination(route.get("destination"), child(here, "destination"))
        weight = route.get("weight")
        if isinstance(weight, int):
            total += weight
            if weight < 0:
                out.add(child(here, "weight"), f"Invalid value: {weight}: weight {weight} < 0")
        if http:
            _header_ops(out, route.get("headers"), child(here, "headers"))
    if len(as_list(routes)) > 1 and total == 0:
        out.add(path, "Invalid value: 0: total destination weight = 0")


def _header_ops(out: Errors, headers: Any, path: str) -> None:
    for direction in ("request", "response"):
        ops = as_dict(as_dict(headers).get(direction))
        base = child(path, direction)
        # Only request headers may be set or added under :authority/Host (a rewrite of it).
        settable = direction == "request"
        for op in ("set", "add"):
            for name in as_dict(ops.get(op)):
                problem = header_operation_problem(str(name), may_set_authority=settable)
                out.add(child(child(base, op), str(name)), problem)
        for i, name in enumerate(as_list(ops.get("remove"))):
            problem = header_operation_problem(str(name), may_set_authority=False)
            out.add(index(child(base, "remove"), i), problem)


def _cors(out: Errors, policy: dict[str, Any], path: str) -> None:
    for i, origin in enumerate(as_list(policy.get("allowOrigins"))):
        here = index(child(path, "allowOrigins"), i)
        origin = as_dict(origin)
        if not any(origin.get(k) for k in ("exact", "prefix", "regex")):
            out.add(
                here,
                f"Invalid value: {show(origin)}: not a valid match type for CORS allow origins",
            )
        out.string_match(origin, here, "corsPolicy.allowOrigins")
    for i, method in enumerate(as_list(policy.get("allowMethods"))):
        if method not in _CORS_METHODS:
            out.add(
                index(child(path, "allowMethods"), i),
                f"Unsupported value: {show(method)}: not a supported HTTP method",
                NOT_SUPPORTED,
            )
    for key in ("allowHeaders", "exposeHeaders"):
        for i, name in enumerate(as_list(policy.get(key))):
            out.add(index(child(path, key), i), header_name_problem(str(name), cors=True))
    if policy.get("maxAge") is not None:
        problem = duration_problem(policy["maxAge"])
        if not problem and parse_duration(policy["maxAge"]) % 1:
            problem = (
                f"Invalid value: {show(policy['maxAge'])}: max_age duration is accurate only to"
                " seconds precision"
            )
        out.add(child(path, "maxAge"), problem)


def _fault(out: Errors, fault: dict[str, Any], path: str) -> None:
    abort, delay = fault.get("abort"), fault.get("delay")
    if abort is None and delay is None:
        out.add(
            path, "Required value: HTTP fault injection must have an abort and/or a delay", REQUIRED
        )
    if isinstance(abort, dict):
        here = child(path, "abort")
        out.one_of(abort, ("httpStatus", "grpcStatus", "http2Error"), here)
        out.fraction(abort, "percentage", here)
        out.add(child(here, "httpStatus"), http_status_problem(abort.get("httpStatus")))
        grpc = abort.get("grpcStatus")
        if isinstance(grpc, str) and grpc not in _GRPC_STATUS:
            out.add(
                child(here, "grpcStatus"),
                f"Unsupported value: {show(grpc)}: gRPC status is not supported, use a code name"
                " such as NOT_FOUND or UNAVAILABLE",
                NOT_SUPPORTED,
            )
        if abort.get("http2Error") is not None:
            out.add(
                child(here, "http2Error"),
                "Forbidden: HTTP/2 abort fault injection not supported yet",
                FORBIDDEN,
            )
    if isinstance(delay, dict):
        here = child(path, "delay")
        out.one_of(delay, ("fixedDelay", "exponentialDelay"), here)
        out.fraction(delay, "percentage", here)
        out.percent(delay, "percent", here)
        out.duration(delay, "fixedDelay", here)
        if delay.get("exponentialDelay") is not None:
            out.add(
                child(here, "exponentialDelay"),
                "Forbidden: exponentialDelay not supported yet",
                FORBIDDEN,
            )


def _redirect(out: Errors, redirect: Any, path: str) -> None:
    if not isinstance(redirect, dict):
        return
    if not any(redirect.get(k) for k in ("uri", "authority", "scheme", "port", "derivePort")):
        out.add(
            path, "Required value: redirect must specify URI, authority, scheme, or port", REQUIRED
        )
    out.one_of(redirect, ("port", "derivePort"), path)
    scheme = redirect.get("scheme")
    if scheme and scheme not in ("http", "https"):
        out.add(
            child(path, "scheme"),
            f"Unsupported value: {show(scheme)}: invalid redirect scheme, must be"
            ' "http" or "https"',
            NOT_SUPPORTED,
        )
    out.add(child(path, "port"), port_problem(redirect.get("port")))
    code = redirect.get("redirectCode")
    if isinstance(code, int) and code and not 300 <= code <= 399:
        out.add(
            child(path, "redirectCode"),
            f"Invalid value: {code}: {code} is not a valid redirect code, must be 3xx",
        )


def _rewrite(out: Errors, rewrite: Any, path: str) -> None:
    if not isinstance(rewrite, dict):
        return
    regex = as_dict(rewrite.get("uriRegexRewrite"))
    where = child(path, "uriRegexRewrite")
    if not rewrite.get("uri") and not rewrite.get("authority") and not regex:
        out.add(
            path,
            "Required value: rewrite must specify URI, authority, or uriRegexRewrite",
            REQUIRED,
        )
    if rewrite.get("uri") and regex:
        out.add(
            where, "Forbidden: rewrite may only contain one of URI or uriRegexRewrite", FORBIDDEN
        )
    if regex:
        for key in ("match", "rewrite"):
            if not regex.get(key):
                out.add(
                    child(where, key),
                    "Required value: UriRegexRewrite requires both Rewrite and Match fields",
                    REQUIRED,
                )
        if isinstance(regex.get("match"), str) and regex["match"]:
            out.add(child(where, "match"), regex_problem(regex["match"], "uriRegexRewrite"))


def _retries(out: Errors, retries: Any, path: str) -> None:
    if not isinstance(retries, dict):
        return
    attempts = retries.get("attempts", 0)
    if isinstance(attempts, int) and attempts < 0:
        out.add(child(path, "attempts"), f"Invalid value: {attempts}: attempts cannot be negative")
    configured = any(
        retries.get(k) not in (None, "")
        for k in ("perTryTimeout", "retryOn", "retryRemoteLocalities")
    )
    if attempts == 0 and configured:
        out.add(
            child(path, "attempts"),
            "Invalid value: 0: http retry policy configured when attempts are set to 0 (disabled)",
        )
    out.duration(retries, "perTryTimeout", path)
    retry_on = retries.get("retryOn")
    if isinstance(retry_on, str) and retry_on:
        for policy in retry_on.split(","):
            policy = policy.strip()
            is_status = policy.isdigit() and 100 <= int(policy) <= 599
            if not is_status and policy not in _RETRY_ON:
                out.add(
                    child(path, "retryOn"),
                    f"Invalid value: {show(policy)}: not a valid retryOn policy",
                )


def _l4_match(out: Errors, match: dict[str, Any], path: str) -> None:
    for i, subnet in enumerate(as_list(match.get("destinationSubnets"))):
        if isinstance(subnet, str) and not is_ip_or_cidr(subnet):
            out.add(
                index(child(path, "destinationSubnets"), i),
                f"Invalid value: {show(subnet)}: not a valid IP address or CIDR",
            )
    out.add(child(path, "port"), port_problem(match.get("port")))
    out.labels(match.get("sourceLabels"), child(path, "sourceLabels"))
    out.gateways(match.get("gateways"), child(path, "gateways"))


def _tls_route(out: Errors, route: dict[str, Any], path: str, hosts: list[str]) -> None:
    matches = as_list(route.get("match"))
    if not matches:
        out.add(
            child(path, "match"),
            "Required value: TLS route must have at least one match condition",
            REQUIRED,
        )
    for j, match in enumerate(matches):
        match, here = as_dict(match), index(child(path, "match"), j)
        sni_hosts = as_list(match.get("sniHosts"))
        if not sni_hosts:
            out.add(
                child(here, "sniHosts"),
                "Required value: TLS match must have at least one SNI host",
                REQUIRED,
            )
        for k, sni in enumerate(sni_hosts):
            where = index(child(here, "sniHosts"), k)
            problem = wildcard_domain_problem(sni) if not is_ip(sni) else None
            if problem:
                out.add(where, problem)
            elif not any(host_subset_of(sni, host) for host in hosts):
                out.add(
                    where,
                    f"Invalid value: {show(sni)}: SNI host is not a compatible subset of any of the"
                    f" virtual service hosts: [{', '.join(hosts)}]",
                )
        _l4_match(out, match, here)
    if not as_list(route.get("route")):
        out.add(child(path, "route"), "Required value: TLS route is required", REQUIRED)
    _route_destinations(out, route.get("route"), child(path, "route"))
