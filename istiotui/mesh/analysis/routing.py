"""Checks on VirtualServices: where their routes lead and whether their rules can match."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from istiotui.mesh.analysis import findings as F
from istiotui.mesh.analysis.index import Index, fqdn, host_matches, name_of, namespace_of
from istiotui.mesh.analysis.scope import clashes, cluster_namespace, export_scope

_STRING_MATCH_FIELDS = ("uri", "scheme", "method", "authority")


def _finding(vs: dict, check: F.Check, path: str, **params: object) -> F.Finding:
    return F.Finding(check, "VirtualService", namespace_of(vs), name_of(vs), path, dict(params))


def check_virtual_services(index: Index) -> Iterator[F.Finding]:
    for vs in index.kind("VirtualService"):
        yield from _destinations(index, vs)
        yield from _gateways(index, vs)
        yield from _matches(vs)
        yield from _weights(vs)
    yield from _duplicate_hosts(index)


def _destinations(index: Index, vs: dict) -> Iterator[F.Finding]:
    ns = namespace_of(vs)
    spec = vs.get("spec") or {}
    for proto in ("http", "tls", "tcp"):
        for i, rule in enumerate(spec.get(proto) or []):
            for j, route in enumerate(rule.get("route") or []):
                dest = route.get("destination") or {}
                path = f"spec.{proto}[{i}].route[{j}].destination"
                yield from _destination(index, vs, dest, ns, path, F.SUBSET_NOT_DEFINED)
            if proto == "http" and rule.get("mirror"):
                yield from _destination(
                    index,
                    vs,
                    rule["mirror"],
                    ns,
                    f"spec.http[{i}].mirror",
                    F.MIRROR_SUBSET_NOT_DEFINED,
                )


def _destination(
    index: Index, vs: dict, dest: dict, ns: str, path: str, subset_check: F.Check
) -> Iterator[F.Finding]:
    host = dest.get("host")
    if not host:
        return
    full = fqdn(host, ns)
    scope = export_scope(vs)
    if not index.known_host(full, scope):
        yield _unknown_host(index, vs, host, full, f"{path}.host")
        return
    subset = dest.get("subset")
    if subset and subset not in index.subsets_for(full, scope):
        # Files alone settle a subset when they hold the host's Service (the app is all there)
        # or some DestinationRule for the host (then a missing subset is a slip).
        if index.judges_host(full) or index.destination_rules_for(full, scope):
            yield _finding(vs, subset_check, f"{path}.subset", subset=subset, host=host)
        else:
            yield _finding(vs, F.SUBSET_OFFLINE, f"{path}.subset", subset=subset, host=host)


def _unknown_host(index: Index, vs: dict, host: str, full: str, path: str) -> F.Finding:
    if index.judges_host(full):
        return _finding(vs, F.HOST_NOT_FOUND, path, host=host)
    ns = cluster_namespace(full)
    if ns is None:
        return _finding(vs, F.EXTERNAL_HOST_OFFLINE, path, host=host)
    return _finding(vs, F.REFERENCE_OFFLINE, path, kind="Service", ref=host, namespace=ns)


def _gateways(index: Index, vs: dict) -> Iterator[F.Finding]:
    ns = namespace_of(vs)
    spec = vs.get("spec") or {}
    hosts = spec.get("hosts") or []
    for i, ref in enumerate(spec.get("gateways") or []):
        if ref == "mesh":
            continue
        gw = index.gateway(ref, ns)
        if gw is None:
            gw_ns = ref.rpartition("/")[0] or ns
            if index.judges_gateways_of(gw_ns):
                yield _finding(vs, F.GATEWAY_NOT_FOUND, f"spec.gateways[{i}]", gateway=ref)
            else:
                yield _finding(
                    vs,
                    F.REFERENCE_OFFLINE,
                    f"spec.gateways[{i}]",
                    kind="Gateway",
                    ref=ref,
                    namespace=gw_ns,
                )
            continue
        gw_hosts = [
            h.split("/", 1)[-1]
            for server in (gw.get("spec") or {}).get("servers") or []
            for h in server.get("hosts") or []
        ]
        for j, host in enumerate(hosts):
            if not any(host_matches(p, host) or host_matches(host, p) for p in gw_hosts):
                yield _finding(
                    vs, F.HOST_NOT_IN_GATEWAY, f"spec.hosts[{j}]", host=host, gateway=ref
                )


def _canonical(match: dict) -> str:
    return json.dumps(match, sort_keys=True)


def _matches(vs: dict) -> Iterator[F.Finding]:
    catch_all: int | None = None
    seen: dict[str, int] = {}
    for i, rule in enumerate((vs.get("spec") or {}).get("http") or []):
        matches = rule.get("match") or []
        if catch_all is not None:
            yield _finding(vs, F.UNREACHABLE_RULE, f"spec.http[{i}]", rule=i, earlier=catch_all)
            continue
        if not matches or any(not m for m in matches):
            catch_all = i
        for k, match in enumerate(matches):
            key = _canonical(match)
            if match and key in seen:
                yield _finding(
                    vs,
                    F.DUPLICATE_MATCH,
                    f"spec.http[{i}].match[{k}]",
                    match=key,
                    earlier=seen[key],
                )
            seen.setdefault(key, i)
            yield from _regexes(vs, match, f"spec.http[{i}].match[{k}]")


def _regexes(vs: dict, match: dict, path: str) -> Iterator[F.Finding]:
    candidates: list[tuple[str, dict]] = [
        (f"{path}.{f}", match.get(f) or {}) for f in _STRING_MATCH_FIELDS
    ]
    for group in ("headers", "queryParams", "withoutHeaders"):
        for key, value in (match.get(group) or {}).items():
            candidates.append((f"{path}.{group}.{key}", value or {}))
    for where, string_match in candidates:
        regex = string_match.get("regex") if isinstance(string_match, dict) else None
        if regex is None:
            continue
        try:
            re.compile(regex)  # RE2 is stricter than Python's re in places; close enough here
        except re.error as err:
            yield _finding(vs, F.INVALID_REGEX, f"{where}.regex", regex=regex, error=str(err))


def _weights(vs: dict) -> Iterator[F.Finding]:
    for i, rule in enumerate((vs.get("spec") or {}).get("http") or []):
        routes = rule.get("route") or []
        weights = [r.get("weight") for r in routes]
        if len(routes) == 1 and weights[0] is not None and weights[0] < 100:
            yield _finding(
                vs,
                F.SINGLE_DESTINATION_WEIGHT,
                f"spec.http[{i}].route[0].weight",
                weight=weights[0],
            )
        elif len(routes) > 1 and all(w is not None for w in weights):
            total = sum(weights)
            if total != 100 and total > 0:
                shares = ", ".join(
                    f"{_label(r)} {100 * w / total:.0f} %"
                    for r, w in zip(routes, weights, strict=True)
                )
                yield _finding(
                    vs, F.WEIGHTS_NOT_100, f"spec.http[{i}].route", total=total, shares=shares
                )


def _label(route: dict) -> str:
    dest = route.get("destination") or {}
    return dest.get("subset") or dest.get("host", "?")


def _duplicate_hosts(index: Index) -> Iterator[F.Finding]:
    """Two VirtualServices (two objects, not one listing a host twice or a file read twice) for
    one host on one gateway, seen together by some namespace."""
    owners: dict[tuple[str, str], list[dict]] = {}
    for vs in index.kind("VirtualService"):
        spec = vs.get("spec") or {}
        ns = namespace_of(vs)
        reported: set[str] = set()
        for j, host in enumerate(spec.get("hosts") or []):
            full = fqdn(host, ns)
            for gw in spec.get("gateways") or ["mesh"]:
                gw_key = gw if gw == "mesh" or "/" in gw else f"{ns}/{gw}"
                earlier = owners.setdefault((full, gw_key), [])
                other = next((o for o in earlier if clashes(o, vs)), None)
                if not any(o is vs for o in earlier):
                    earlier.append(vs)
                if other is not None and full not in reported:
                    reported.add(full)
                    yield _finding(
                        vs,
                        F.DUPLICATE_VS_HOST,
                        f"spec.hosts[{j}]",
                        host=host,
                        other=f"{namespace_of(other)}/{name_of(other)}",
                    )
