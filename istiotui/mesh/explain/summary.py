"""A proxy's configuration as `istioctl proxy-config` tables: listeners, routes, clusters,
endpoints (one row per thing, the columns a learner reads)."""

from __future__ import annotations

from typing import Any

from istiotui.mesh.explain.dump import ProxyConfig
from istiotui.mesh.explain.provenance import config_ref

TYPES = ("listeners", "routes", "clusters", "endpoints")


def _chains(lis: dict[str, Any]) -> str:
    kinds = []
    for chain in lis.get("filter_chains") or []:
        names = (chain.get("filter_chain_match") or {}).get("server_names")
        for f in chain.get("filters") or []:
            name = str(f.get("name", "")).rsplit(".", 1)[-1]
            kinds.append(f"{name} sni {','.join(names)}" if names else name)
    return "; ".join(kinds)


def _route_config_name(lis: dict[str, Any]) -> str | None:
    for chain in lis.get("filter_chains") or []:
        for f in chain.get("filters") or []:
            tc = f.get("typed_config") or {}
            if tc.get("route_config"):
                return str(tc["route_config"].get("name"))
            if tc.get("rds"):
                return str(tc["rds"].get("route_config_name"))
    return None


def _domains(domains: list[str]) -> str:
    shown = ", ".join(domains[:2])
    return f"{shown} (+{len(domains) - 2})" if len(domains) > 2 else shown


def rows(cfg: ProxyConfig, kind: str) -> list[dict[str, Any]]:
    """The table of one kind (`listeners`, `routes`, `clusters`, `endpoints`)."""
    if kind == "listeners":
        out = []
        for lis in cfg.listeners:
            sock = (lis.get("address") or {}).get("socket_address") or {}
            out.append({"name": lis.get("name"),
                        "address": f"{sock.get('address')}:{sock.get('port_value')}",
                        "chains": _chains(lis)})  # fmt: skip
        return out
    if kind == "routes":
        configs = dict(cfg.route_configs)
        for lis in cfg.listeners:  # inline ones
            for chain in lis.get("filter_chains") or []:
                for f in chain.get("filters") or []:
                    rc = (f.get("typed_config") or {}).get("route_config")
                    if rc:
                        configs.setdefault(str(rc.get("name")), rc)
        out = []
        for name, rc in sorted(configs.items()):
            for vh in rc.get("virtual_hosts") or []:
                found = (config_ref(x.get("metadata")) for x in vh.get("routes") or [])
                refs = {r.ref for r in found if r is not None}
                out.append({"route_config": name, "virtual_host": vh.get("name"),
                            "domains": _domains(vh.get("domains") or []),
                            "routes": len(vh.get("routes") or []),
                            "virtual_services": ", ".join(sorted(refs)) or "-"})  # fmt: skip
        return out
    if kind == "clusters":
        out = []
        for name, c in sorted(cfg.clusters.items()):
            ref = config_ref(c.get("metadata"))
            out.append({"cluster": name, "type": c.get("type", "EDS"),
                        "endpoints": len(cfg.endpoints.get(name, [])),
                        "destination_rule": ref.ref if ref else "-"})  # fmt: skip
        return out
    if kind == "endpoints":
        pairs = sorted(cfg.endpoints.items())
        return [{"endpoint": a, "cluster": name} for name, addresses in pairs for a in addresses]
    raise ValueError(f"unknown proxy configuration type {kind!r} (known: {', '.join(TYPES)})")


def table(items: list[dict[str, Any]]) -> str:
    """Columns padded like kubectl's (two spaces apart), headers upper-case."""
    if not items:
        return "(none)"
    keys = list(items[0])
    cells = [[k.upper().replace("_", " ") for k in keys]]
    cells += [[str(row.get(k, "")) for k in keys] for row in items]
    widths = [max(len(r[i]) for r in cells) for i in range(len(keys))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
    )
