"""Which rule of a VirtualService an Envoy route (or TLS filter chain) was built from.

istiod names the VirtualService on the route but not the rule: the rule is found by translating
each `http[i].match[j]` the way istiod does and comparing it with the route's match (a rule's
`name`, when the route carries it, decides first).
"""

from __future__ import annotations

from typing import Any


def _string(spec: Any) -> tuple[str, str] | None:
    if not isinstance(spec, dict):
        return None
    for key in ("exact", "prefix", "regex"):
        if key in spec:
            return key, str(spec[key])
    return None


def _istio_key(match: dict[str, Any] | None) -> tuple[Any, ...]:
    match = match or {}
    uri = _string(match.get("uri")) or ("prefix", "/")
    headers = []
    for pseudo in ("method", "authority", "scheme"):
        if match.get(pseudo):
            headers.append((f":{pseudo}", _string(match[pseudo]), False))
    for name, spec in (match.get("headers") or {}).items():
        headers.append((name.lower(), _string(spec), False))
    for name, spec in (match.get("withoutHeaders") or {}).items():
        headers.append((name.lower(), _string(spec), True))
    return uri, tuple(sorted(headers, key=repr))


def _envoy_string(spec: dict[str, Any]) -> tuple[str, str] | None:
    sm = spec.get("string_match") or {}
    for key, word in (("exact", "exact"), ("prefix", "prefix")):
        if key in sm:
            return word, str(sm[key])
        if f"{key}_match" in spec:
            return word, str(spec[f"{key}_match"])
    regex = (sm.get("safe_regex") or spec.get("safe_regex_match") or {}).get("regex")
    return ("regex", str(regex)) if regex is not None else None


def _envoy_key(match: dict[str, Any]) -> tuple[Any, ...]:
    if "path" in match:
        uri = ("exact", str(match["path"]))
    elif "safe_regex" in match:
        uri = ("regex", str((match["safe_regex"] or {}).get("regex", "")))
    else:
        uri = ("prefix", str(match.get("prefix", "/")))
    headers = [
        (str(h.get("name", "")).lower(), _envoy_string(h), bool(h.get("invert_match")))
        for h in match.get("headers") or []
    ]
    return uri, tuple(sorted(headers, key=repr))


def http_rule(spec: dict[str, Any], route: dict[str, Any]) -> int | None:
    """The index i of `spec.http[i]` that produced this Envoy route, or None."""
    rules = spec.get("http") or []
    name = str(route.get("name") or "")
    if name:
        for i, rule in enumerate(rules):
            if rule.get("name") and (name == rule["name"] or name.startswith(f"{rule['name']}.")):
                return i
    wanted = _envoy_key(route.get("match") or {})
    for i, rule in enumerate(rules):
        for match in rule.get("match") or [None]:
            if _istio_key(match) == wanted:
                return i
    return None


def tls_rule(
    spec: dict[str, Any], server_names: list[str], port: int, gateway: bool = False
) -> int | None:
    """The index i of `spec.tls[i]` whose match covers these SNI names on this port, for a
    gateway or for sidecars (`mesh`)."""
    for i, rule in enumerate(spec.get("tls") or []):
        for match in rule.get("match") or []:
            if match.get("port") not in (None, port):
                continue
            bound = match.get("gateways") or spec.get("gateways") or ["mesh"]
            mesh_only = all(g == "mesh" for g in bound)
            if (gateway and mesh_only) or (not gateway and "mesh" not in bound):
                continue
            if set(server_names) & {str(h) for h in match.get("sniHosts") or []}:
                return i
    return None
