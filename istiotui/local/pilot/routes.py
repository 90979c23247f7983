"""Envoy routes from VirtualService http rules, the way istiod translates them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from istiotui.local.pilot.clusters import Context, duration
from istiotui.local.pilot.model import Obj, PilotError, selects
from istiotui.local.pilot.names import config_metadata, fqdn, istio_cluster, scoped

FAULT_FILTER = "envoy.filters.http.fault"
_FAULT_TYPE = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault"
DEFAULT_RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
_PREVIOUS_HOSTS = {
    "name": "envoy.retry_host_predicates.previous_hosts",
    "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3."
        "PreviousHostsPredicate"
    },
}
_REDIRECT_CODES = {
    301: "MOVED_PERMANENTLY",
    302: "FOUND",
    303: "SEE_OTHER",
    307: "TEMPORARY_REDIRECT",
    308: "PERMANENT_REDIRECT",
}


@dataclass(frozen=True)
class Vantage:
    """Who the routes are built for: a sidecar (gateway None) or one Gateway's server."""

    proxy_id: str
    namespace: str
    labels: dict[str, str]
    port: int  # the listener's service port (sidecar) or the server's port (gateway)
    gateway: str | None = None  # "ns/name" of the Gateway for gateway routes

    def bound(self, gateways: list[str] | None, vs: Obj) -> bool:
        """Whether a `gateways` list (VirtualService- or match-level) covers this vantage."""
        names = gateways or ["mesh"]
        if self.gateway is None:
            return "mesh" in names
        return any(gateway_ref(g, vs.namespace) == self.gateway for g in names if g != "mesh")


def gateway_ref(ref: str, namespace: str) -> str:
    return ref if "/" in ref else f"{namespace}/{ref}"


def default_retry() -> dict[str, Any]:
    return {
        "retry_on": DEFAULT_RETRY_ON,
        "num_retries": 2,
        "retry_host_predicate": [_PREVIOUS_HOSTS],
        "host_selection_retry_max_attempts": 5,
    }


def retry_policy(retries: dict[str, Any] | None, where: str) -> dict[str, Any] | None:
    if retries is None:
        return default_retry()
    attempts = retries.get("attempts") or 0
    if attempts <= 0:
        return None
    policy = default_retry()
    policy["num_retries"] = int(attempts)
    if retries.get("retryOn"):
        conditions, codes = [], []
        for part in str(retries["retryOn"]).split(","):
            part = part.strip()
            if part.isdigit():
                codes.append(int(part))
            elif part:
                conditions.append(part)
        if codes and "retriable-status-codes" not in conditions:
            conditions.append("retriable-status-codes")
        policy["retry_on"] = ",".join(conditions)
        if codes:
            policy["retriable_status_codes"] = codes
    if "perTryTimeout" in retries:
        policy["per_try_timeout"] = duration(retries["perTryTimeout"], f"{where}.perTryTimeout")
    return policy


def fraction(percentage: Any, where: str) -> dict[str, Any]:
    """Istio's `percentage.value` (a double, in %) as Envoy's fraction per million."""
    if percentage is None:
        return {"numerator": 1000000, "denominator": "MILLION"}
    value = percentage.get("value", 0) if isinstance(percentage, dict) else None
    if not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise PilotError(f"{where}.value: expected a percentage between 0 and 100")
    return {"numerator": round(value * 10000), "denominator": "MILLION"}


def fault_config(fault: dict[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": _FAULT_TYPE}
    delay = fault.get("delay")
    if delay:
        if "fixedDelay" not in delay:
            raise PilotError(f"{where}.delay.fixedDelay is required")
        out["delay"] = {
            "fixed_delay": duration(delay["fixedDelay"], f"{where}.delay.fixedDelay"),
            "percentage": _legacy_percent(delay, f"{where}.delay"),
        }
    abort = fault.get("abort")
    if abort:
        pct = _legacy_percent(abort, f"{where}.abort")
        if "httpStatus" in abort:
            out["abort"] = {"http_status": int(abort["httpStatus"]), "percentage": pct}
        elif "grpcStatus" in abort:
            out["abort"] = {"grpc_status": _grpc_code(abort["grpcStatus"]), "percentage": pct}
        else:
            raise PilotError(f"{where}.abort: httpStatus or grpcStatus is required")
    return out


_GRPC = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
         "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
         "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
         "UNAUTHENTICATED"]  # fmt: skip


def _grpc_code(value: Any) -> int:
    return _GRPC.index(value) if value in _GRPC else int(value)


def _legacy_percent(block: dict[str, Any], where: str) -> dict[str, Any]:
    if "percentage" not in block and "percent" in block:
        return {"numerator": int(block["percent"]), "denominator": "HUNDRED"}
    return fraction(block.get("percentage"), f"{where}.percentage")


def _string_match(spec: Any, where: str) -> dict[str, Any]:
    if not isinstance(spec, dict) or not spec:
        return {}
    if "exact" in spec:
        return {"exact": str(spec["exact"])}
    if "prefix" in spec:
        return {"prefix": str(spec["prefix"])}
    if "regex" in spec:
        try:
            re.compile(str(spec["regex"]))
        except re.error as exc:
            # Envoy (RE2) would refuse it too, with no word of which rule it came from.
            raise PilotError(f"{where}.regex: not a regular expression: {exc}") from None
        return {"safe_regex": {"regex": str(spec["regex"])}}
    raise PilotError(f"{where}: expected one of exact, prefix, regex")


def _header(name: str, spec: Any, where: str, invert: bool = False) -> dict[str, Any]:
    match = _string_match(spec, where)
    out: dict[str, Any] = {"name": name}
    if match:
        out["string_match"] = match
    else:
        out["present_match"] = True
    if invert:
        out["invert_match"] = True
    return out


def route_match(match: dict[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    uri = match.get("uri")
    if uri:
        m = _string_match(uri, f"{where}.uri")
        if "exact" in m:
            out["path"] = m["exact"]
        elif "prefix" in m:
            out["prefix"] = m["prefix"]
        else:
            out["safe_regex"] = m["safe_regex"]
    else:
        out["prefix"] = "/"
    if match.get("ignoreUriCase"):
        out["case_sensitive"] = False
    headers = []
    for pseudo in ("method", "authority", "scheme"):
        if match.get(pseudo):
            headers.append(_header(f":{pseudo}", match[pseudo], f"{where}.{pseudo}"))
    for name, spec in sorted((match.get("headers") or {}).items()):
        headers.append(_header(name.lower(), spec, f"{where}.headers.{name}"))
    for name, spec in sorted((match.get("withoutHeaders") or {}).items()):
        headers.append(_header(name.lower(), spec, f"{where}.withoutHeaders.{name}", True))
    if headers:
        out["headers"] = headers
    params = []
    for name, spec in sorted((match.get("queryParams") or {}).items()):
        m = _string_match(spec, f"{where}.queryParams.{name}")
        params.append(
            {"name": name, "string_match": m} if m else {"name": name, "present_match": True}
        )
    if params:
        out["query_parameters"] = params
    return out


def destination_cluster(ctx: Context, v: Vantage, dest: dict[str, Any], vs: Obj, where: str) -> str:
    """The proxy's cluster for a destination: `outbound|PORT|SUBSET|FQDN`, port defaulted."""
    if not isinstance(dest, dict) or not dest.get("host"):
        raise PilotError(f"{vs.ref}: {where}.host is required")
    host = fqdn(str(dest["host"]), vs.namespace)
    number = (dest.get("port") or {}).get("number")
    if number is None:
        svc = ctx.mesh.service(host)
        if svc is not None and len(svc.ports) == 1:
            number = svc.ports[0].port
        elif svc is not None and svc.port(v.port) is None:
            raise PilotError(f"{vs.ref}: {where}.port is required: {host} has several ports")
        else:
            number = v.port
    return scoped(v.proxy_id, istio_cluster(int(number), str(dest.get("subset") or ""), host))


def _headers_to_add(ops: dict[str, Any], append: bool) -> list[dict[str, Any]]:
    return [
        {
            "header": {"key": k, "value": str(val)},
            "append_action": "APPEND_IF_EXISTS_OR_ADD" if append else "OVERWRITE_IF_EXISTS_OR_ADD",
        }
        for k, val in sorted((ops or {}).items())
    ]


def _apply_headers(route: dict[str, Any], headers: dict[str, Any]) -> None:
    for side in ("request", "response"):
        ops = headers.get(side) or {}
        adds = _headers_to_add(ops.get("set"), False) + _headers_to_add(ops.get("add"), True)
        if adds:
            route[f"{side}_headers_to_add"] = adds
        if ops.get("remove"):
            route[f"{side}_headers_to_remove"] = list(ops["remove"])


def _mirrors(
    ctx: Context, v: Vantage, rule: dict[str, Any], vs: Obj, where: str
) -> list[dict[str, Any]]:
    # (destination, percentage, where the destination is, where the percentage is)
    wanted: list[tuple[dict[str, Any], Any, str, str]] = []
    if rule.get("mirror"):
        pct = rule.get("mirrorPercentage")
        if pct is None and "mirrorPercent" in rule:  # the deprecated integer form
            pct = {"value": rule["mirrorPercent"]}
        wanted.append((rule["mirror"], pct, f"{where}.mirror", f"{where}.mirrorPercentage"))
    for i, m in enumerate(rule.get("mirrors") or []):
        here = f"{where}.mirrors[{i}]"
        wanted.append((m.get("destination") or {}, m.get("percentage"), here, f"{here}.percentage"))
    out = []
    for dest, pct, here, pct_where in wanted:
        frac = fraction(pct, f"{vs.ref}: {pct_where}")
        if frac["numerator"] == 0:
            continue  # an explicit 0 % mirrors nothing
        out.append(
            {
                "cluster": destination_cluster(ctx, v, dest, vs, here),
                "runtime_fraction": {"default_value": frac},
                "trace_sampled": False,
            }
        )
    return out


def _action(ctx: Context, v: Vantage, rule: dict[str, Any], vs: Obj, where: str) -> dict[str, Any]:
    targets = []
    for i, d in enumerate(rule.get("route") or []):
        weight = d.get("weight")
        targets.append(
            (
                destination_cluster(
                    ctx, v, d.get("destination"), vs, f"{where}.route[{i}].destination"
                ),
                weight,
            )
        )
    if len(targets) > 1:
        if all(w is None for _, w in targets):
            raise PilotError(
                f"{vs.ref}: {where}.route: weights are required with several destinations"
            )
        targets = [(c, int(w)) for c, w in targets if w]
    action: dict[str, Any] = {}
    if len(targets) == 1:
        action["cluster"] = targets[0][0]
    elif targets:
        action["weighted_clusters"] = {"clusters": [{"name": c, "weight": w} for c, w in targets]}
    else:
        raise PilotError(f"{vs.ref}: {where}.route: every destination has weight 0")
    action["timeout"] = (
        duration(rule["timeout"], f"{vs.ref}: {where}.timeout") if "timeout" in rule else "0s"
    )
    retry = retry_policy(rule.get("retries"), f"{vs.ref}: {where}.retries")
    if retry is not None:
        action["retry_policy"] = retry
    mirrors = _mirrors(ctx, v, rule, vs, where)
    if mirrors:
        action["request_mirror_policies"] = mirrors
    rewrite = rule.get("rewrite") or {}
    if rewrite.get("uri") is not None:
        action["prefix_rewrite"] = str(rewrite["uri"])
    if rewrite.get("uriRegexRewrite"):
        rr = rewrite["uriRegexRewrite"]
        action["regex_rewrite"] = {
            "pattern": {"regex": str(rr.get("match", ""))},
            "substitution": str(rr.get("rewrite", "")),
        }
    if rewrite.get("authority"):
        action["host_rewrite_literal"] = str(rewrite["authority"])
    action["max_stream_duration"] = {"max_stream_duration": "0s", "grpc_timeout_header_max": "0s"}
    return action


def _applies(v: Vantage, match: dict[str, Any], vs: Obj) -> bool:
    if match.get("port") is not None and match["port"] != v.port:
        return False
    if match.get("gateways") is not None and not v.bound(match["gateways"], vs):
        return False
    if match.get("sourceLabels") and (v.gateway or not selects(match["sourceLabels"], v.labels)):
        return False
    return not (match.get("sourceNamespace") and match["sourceNamespace"] != v.namespace)


def http_routes(ctx: Context, v: Vantage, vs: Obj) -> list[dict[str, Any]]:
    """The routes of one VirtualService for one vantage, in order: one per applicable match."""
    out = []
    for i, rule in enumerate(vs.spec.get("http") or []):
        where = f"spec.http[{i}]"
        matches = rule.get("match") or [None]
        for j, match in enumerate(matches):
            if match is not None and not _applies(v, match, vs):
                continue
            here = f"{where}.match[{j}]"
            route: dict[str, Any] = {
                "match": route_match(match or {}, f"{vs.ref}: {here}"),
                "metadata": config_metadata("virtual-service", vs.namespace, vs.name),
            }
            name = rule.get("name")
            if name and match and match.get("name"):
                name = f"{name}.{match['name']}"
            if name:
                route["name"] = name
            if rule.get("redirect"):
                route["redirect"] = _redirect(rule["redirect"])
            elif rule.get("directResponse"):
                dr = rule["directResponse"]
                route["direct_response"] = {"status": int(dr.get("status", 200))}
                body = (dr.get("body") or {}).get("string")
                if body is not None:
                    route["direct_response"]["body"] = {"inline_string": str(body)}
            else:
                route["route"] = _action(ctx, v, rule, vs, where)
            if rule.get("fault"):
                route["typed_per_filter_config"] = {
                    FAULT_FILTER: fault_config(rule["fault"], f"{vs.ref}: {where}.fault")
                }
            _apply_headers(route, rule.get("headers") or {})
            for k, d in enumerate(rule.get("route") or []):
                if d.get("headers") and len(rule["route"]) == 1:
                    _apply_headers(route, d["headers"])
                elif d.get("headers"):
                    ctx.warn(
                        f"{vs.ref}: {where}.route[{k}].headers: per-destination headers are"
                        " only applied with a single destination here"
                    )
            out.append(route)
    return out


def _redirect(spec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if spec.get("uri"):
        out["path_redirect"] = str(spec["uri"])
    if spec.get("authority"):
        out["host_redirect"] = str(spec["authority"])
    if spec.get("scheme"):
        out["scheme_redirect"] = str(spec["scheme"])
    if isinstance(spec.get("port"), int):
        out["port_redirect"] = spec["port"]
    out["response_code"] = _REDIRECT_CODES.get(
        int(spec.get("redirectCode") or 301), "MOVED_PERMANENTLY"
    )
    return out


def default_route(proxy_id: str, port: int, host: str) -> dict[str, Any]:
    """The route a service without a VirtualService gets: all of it, to its port's cluster."""
    return {
        "name": "default",
        "match": {"prefix": "/"},
        "route": {
            "cluster": scoped(proxy_id, istio_cluster(port, "", host)),
            "timeout": "0s",
            "retry_policy": default_retry(),
            "max_stream_duration": {"max_stream_duration": "0s", "grpc_timeout_header_max": "0s"},
        },
    }
