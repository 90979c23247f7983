"""Proxy status as `istioctl proxy-status` shows it, read from istiod's `/debug/syncz` (pure).

istiod answers `/debug/syncz` with one entry per connected proxy: for each xDS type the nonce it
last sent and the one the proxy last acknowledged (`cluster_sent`/`cluster_acked`, `listener_…`,
`route_…`, `endpoint_…`; newer istiods also list them per type URL under `resources`). A type is
SYNCED when the proxy acknowledged what was sent, STALE when it has not (yet), NOT SENT when
istiod never sent it: istioctl's rule. The local cluster's istiod answers the same shape
(local/workloads/pilot_discovery.py).
"""

from __future__ import annotations

import json
from typing import Any

# Column → (syncz field prefix, type URL) in istioctl's column order.
TYPES: dict[str, tuple[str, str]] = {
    "cds": ("cluster", "type.googleapis.com/envoy.config.cluster.v3.Cluster"),
    "lds": ("listener", "type.googleapis.com/envoy.config.listener.v3.Listener"),
    "eds": ("endpoint", "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"),
    "rds": ("route", "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"),
}


class SyncError(ValueError):
    """istiod's answer is not a syncz list; the message says what is wrong."""


def state(sent: str, acked: str) -> str:
    if not sent:
        return "NOT SENT"
    if sent == acked:
        return "SYNCED"
    return "STALE (never acknowledged)" if not acked else "STALE"


def parse_syncz(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SyncError(f"the answer is not JSON ({exc})") from None
    if data is None:
        return []  # no proxy connected
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise SyncError("the answer is not a list of proxies")
    return data


def _pair(entry: dict[str, Any], prefix: str, type_url: str) -> tuple[str, str]:
    sent, acked = entry.get(f"{prefix}_sent"), entry.get(f"{prefix}_acked")
    if sent is None:  # only the per-type map (an istiod that dropped the flat fields)
        res = (entry.get("resources") or {}).get(type_url) or {}
        sent, acked = res.get("sent"), res.get("acked")
    return str(sent or ""), str(acked or "")


def rows(syncz: list[dict[str, Any]], istiod: str) -> list[dict[str, str]]:
    """One row per proxy: NAME, CDS, LDS, EDS, RDS as istioctl prints them, the istiod that
    answered and the proxy's Istio version."""
    out = []
    for entry in syncz:
        row = {"name": str(entry.get("proxy") or "")}
        for column, (prefix, type_url) in TYPES.items():
            row[column] = state(*_pair(entry, prefix, type_url))
        row["istiod"] = istiod
        row["version"] = str(entry.get("istio_version") or entry.get("proxy_version") or "")
        out.append(row)
    return sorted(out, key=lambda r: r["name"])
