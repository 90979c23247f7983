"""The policies a route and a cluster apply, in a learner's terms (percentages, seconds, limits)."""

from __future__ import annotations

from typing import Any

FAULT_FILTER = "envoy.filters.http.fault"
_DENOMINATORS = {"HUNDRED": 100, "TEN_THOUSAND": 10_000, "MILLION": 1_000_000}
UNLIMITED = 4294967295  # what istiod writes for a limit nobody set (2^32 - 1)


def percent(fraction: Any) -> float:
    """An Envoy `FractionalPercent` as a percentage (100 when unset, as Envoy reads it)."""
    if not isinstance(fraction, dict):
        return 100.0
    denominator = _DENOMINATORS.get(str(fraction.get("denominator", "HUNDRED")), 100)
    return round(100.0 * int(fraction.get("numerator", 0)) / denominator, 4)


def _fault(route: dict[str, Any], vhost: dict[str, Any]) -> dict[str, Any] | None:
    config = (route.get("typed_per_filter_config") or {}).get(FAULT_FILTER) or (
        vhost.get("typed_per_filter_config") or {}
    ).get(FAULT_FILTER)
    if not config:
        return None
    if "config" in config and "@type" in config and "FilterConfig" in str(config["@type"]):
        config = config["config"]  # wrapped in a config.route.v3.FilterConfig
    out: dict[str, Any] = {}
    delay = config.get("delay")
    if delay:
        pct = percent(delay.get("percentage"))
        out["delay"] = {"fixed": delay.get("fixed_delay"), "percent": pct}
    abort = config.get("abort")
    if abort:
        entry: dict[str, Any] = {"percent": percent(abort.get("percentage"))}
        for key in ("http_status", "grpc_status"):
            if key in abort:
                entry[key] = abort[key]
        out["abort"] = entry
    return out or None


def route_policies(route: dict[str, Any], vhost: dict[str, Any]) -> dict[str, Any]:
    """fault, timeout, retries, mirror: what the route does besides choosing clusters."""
    out: dict[str, Any] = {}
    fault = _fault(route, vhost)
    if fault:
        out["fault"] = fault
    action = route.get("route") or {}
    timeout = action.get("timeout")
    if timeout is not None:
        out["timeout"] = None if timeout in ("0s", "0") else timeout  # None: no timeout
    retry = action.get("retry_policy") or vhost.get("retry_policy")
    if retry:
        out["retries"] = {
            "attempts": int(retry.get("num_retries", 1)),
            "retry_on": retry.get("retry_on", ""),
            "per_try_timeout": retry.get("per_try_timeout"),
        }
    mirrors = []
    for m in action.get("request_mirror_policies") or []:
        rf = (m.get("runtime_fraction") or {}).get("default_value")
        mirrors.append({"cluster": m.get("cluster"), "percent": percent(rf)})
    if mirrors:
        out["mirror"] = mirrors
    return out


def cluster_policies(cluster: dict[str, Any]) -> dict[str, Any]:
    """connection-pool limits (circuit breakers) and outlier detection of one cluster."""
    out: dict[str, Any] = {}
    for t in (cluster.get("circuit_breakers") or {}).get("thresholds") or []:
        if t.get("priority", "DEFAULT") != "DEFAULT":
            continue
        limits = {
            k: int(t[k])
            for k in ("max_connections", "max_pending_requests", "max_requests", "max_retries")
            if k in t and int(t[k]) != UNLIMITED
        }
        if limits:
            out["connection_pool"] = limits
    od = cluster.get("outlier_detection")
    if od is not None:
        keep = ("consecutive_5xx", "consecutive_gateway_failure", "interval",
                "base_ejection_time", "max_ejection_percent")  # fmt: skip
        out["outlier_detection"] = {k: od[k] for k in keep if k in od}
    return out
