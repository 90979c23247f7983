"""meta.k8s.io/v1 `Table` answers: the columns kubectl prints for each kind on a real cluster.

AGE is text computed here from the creationTimestamp and the caller's clock, as the API server
does for built-in kinds and for a CRD's `date` printer columns. List-valued CRD columns are JSON
text (`["bookinfo-gateway"]`), which is how kubectl shows them on a real cluster.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from istiotui.mesh.durations import human_duration
from istiotui.mesh.kinds import Kind

Cell = Any
Column = tuple[str, str, str, int, Callable[[dict, datetime], Cell]]  # name, type, format, priority


def _parse_time(ts: str | None) -> datetime | None:
    if not ts:
        return None
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def age(obj: dict, now: datetime) -> str:
    created = _parse_time(obj.get("metadata", {}).get("creationTimestamp"))
    if created is None:
        return "<unknown>"
    return human_duration((now - created).total_seconds())


def _g(obj: dict, *path: str, default: Any = None) -> Any:
    node: Any = obj
    for part in path:
        if not isinstance(node, dict):
            return default
        node = node.get(part)
    return default if node is None else node


def _name(obj: dict, _now: datetime) -> str:
    return str(obj.get("metadata", {}).get("name", ""))


def _age(obj: dict, now: datetime) -> str:
    return age(obj, now)


def _pod_ready(obj: dict, _now: datetime) -> str:
    total = len(_g(obj, "spec", "containers", default=[]))
    ready = sum(1 for c in _g(obj, "status", "containerStatuses", default=[]) if c.get("ready"))
    return f"{ready}/{total}"


def pod_status(obj: dict, _now: datetime | None = None) -> str:
    """The STATUS column: a waiting/terminated reason when a container has one, else the phase."""
    if _g(obj, "metadata", "deletionTimestamp"):
        return "Terminating"
    reason = _g(obj, "status", "reason")
    for c in _g(obj, "status", "containerStatuses", default=[]):
        state = c.get("state") or {}
        for key in ("waiting", "terminated"):
            if state.get(key, {}).get("reason"):
                reason = state[key]["reason"]
    return str(reason or _g(obj, "status", "phase", default="Pending"))


def _restarts(obj: dict, now: datetime) -> int | str:
    """The count, and how long ago the last restarted container last exited (`3 (25s ago)`),
    as the API server's pod printer writes it."""
    statuses = _g(obj, "status", "containerStatuses", default=[])
    count = sum(int(c.get("restartCount", 0)) for c in statuses)
    finished = [
        when
        for c in statuses
        if (when := _parse_time(_g(c, "lastState", "terminated", "finishedAt")))
    ]
    if not finished:
        return count
    return f"{count} ({human_duration((now - max(finished)).total_seconds())} ago)"


def _svc_external(obj: dict, _now: datetime) -> str:
    ips = list(_g(obj, "spec", "externalIPs", default=[]))
    ips += [
        i.get("ip") or i.get("hostname")
        for i in _g(obj, "status", "loadBalancer", "ingress", default=[])
    ]
    if ips:
        return ",".join(str(i) for i in ips if i)
    return "<pending>" if _g(obj, "spec", "type") == "LoadBalancer" else "<none>"


def _svc_ports(obj: dict, _now: datetime) -> str:
    parts = []
    for p in _g(obj, "spec", "ports", default=[]):
        proto = p.get("protocol", "TCP")
        node = f":{p['nodePort']}" if p.get("nodePort") else ""
        parts.append(f"{p.get('port')}{node}/{proto}")
    return ",".join(parts) or "<none>"


def _selector_text(sel: dict | None) -> str:
    return ",".join(f"{k}={v}" for k, v in (sel or {}).items()) or "<none>"


def _json_cell(*path: str) -> Callable[[dict, datetime], str]:
    def cell(obj: dict, _now: datetime) -> str:
        value = _g(obj, *path)
        if value is None:
            return ""
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))

    return cell


def _field(*path: str, default: Any = "") -> Callable[[dict, datetime], Any]:
    return lambda obj, _now: _g(obj, *path, default=default)


def _event_last_seen(obj: dict, now: datetime) -> str:
    ts = (
        obj.get("lastTimestamp") or obj.get("eventTime") or _g(obj, "metadata", "creationTimestamp")
    )
    created = _parse_time(ts)
    return human_duration((now - created).total_seconds()) if created else "<unknown>"


def _event_object(obj: dict, _now: datetime) -> str:
    inv = obj.get("involvedObject") or {}
    return f"{str(inv.get('kind', '')).lower()}/{inv.get('name', '')}"


def _endpoints(obj: dict, _now: datetime) -> str:
    addrs = []
    for subset in obj.get("subsets") or []:
        for a in subset.get("addresses") or []:
            for p in subset.get("ports") or [{}]:
                addrs.append(
                    f"{a.get('ip')}:{p.get('port')}" if p.get("port") else str(a.get("ip"))
                )
    if not addrs:
        return "<none>"
    return ",".join(addrs[:3]) + (f" + {len(addrs) - 3} more..." if len(addrs) > 3 else "")


def _deploy_ready(obj: dict, _now: datetime) -> str:
    ready = _g(obj, "status", "readyReplicas", default=0)
    return f"{ready}/{_g(obj, 'spec', 'replicas', default=1)}"


def _template_containers(key: str) -> Callable[[dict, datetime], str]:
    def cell(obj: dict, _now: datetime) -> str:
        containers = _g(obj, "spec", "template", "spec", "containers", default=[])
        return ",".join(str(c.get(key, "")) for c in containers)

    return cell


def _count(*keys: str) -> Callable[[dict, datetime], int]:
    return lambda obj, _now: sum(len(obj.get(k) or []) for k in keys)


_NONE = "<none>"


def _readiness_gates(obj: dict, _now: datetime) -> str:
    gates = [g.get("conditionType") for g in _g(obj, "spec", "readinessGates", default=[])]
    if not gates:
        return "<none>"
    conds = {c.get("type"): c.get("status") for c in _g(obj, "status", "conditions", default=[])}
    return f"{sum(1 for g in gates if conds.get(g) == 'True')}/{len(gates)}"


def _deploy_selector(obj: dict, _now: datetime) -> str:
    sel = _g(obj, "spec", "selector", default={})
    parts = [f"{k}={v}" for k, v in (sel.get("matchLabels") or {}).items()]
    for e in sel.get("matchExpressions") or []:
        op = {"In": "in", "NotIn": "notin"}.get(e.get("operator"))
        if op:
            parts.append(f"{e.get('key')} {op} ({','.join(e.get('values') or [])})")
        elif e.get("operator") == "Exists":
            parts.append(str(e.get("key")))
        else:
            parts.append(f"!{e.get('key')}")
    return ",".join(parts) or "<none>"


_NAME: Column = ("Name", "string", "name", 0, _name)
_AGE: Column = ("Age", "string", "", 0, _age)

_COLUMNS: dict[str, list[Column]] = {
    "Pod": [
        _NAME,
        ("Ready", "string", "", 0, _pod_ready),
        ("Status", "string", "", 0, pod_status),
        ("Restarts", "string", "", 0, _restarts),
        _AGE,
        ("IP", "string", "", 1, _field("status", "podIP", default="<none>")),
        ("Node", "string", "", 1, _field("spec", "nodeName", default="<none>")),
        ("Nominated Node", "string", "", 1, _field("status", "nominatedNodeName", default=_NONE)),
        ("Readiness Gates", "string", "", 1, _readiness_gates),
    ],
    "Service": [
        _NAME,
        ("Type", "string", "", 0, _field("spec", "type", default="ClusterIP")),
        ("Cluster-IP", "string", "", 0, _field("spec", "clusterIP", default="<none>")),
        ("External-IP", "string", "", 0, _svc_external),
        ("Port(s)", "string", "", 0, _svc_ports),
        _AGE,
        ("Selector", "string", "", 1, lambda o, _n: _selector_text(_g(o, "spec", "selector"))),
    ],
    "Deployment": [
        _NAME,
        (
            "Ready",
            "string",
            "",
            0,
            _deploy_ready,
        ),
        ("Up-to-date", "integer", "", 0, _field("status", "updatedReplicas", default=0)),
        ("Available", "integer", "", 0, _field("status", "availableReplicas", default=0)),
        _AGE,
        (
            "Containers",
            "string",
            "",
            1,
            _template_containers("name"),
        ),
        (
            "Images",
            "string",
            "",
            1,
            _template_containers("image"),
        ),
        ("Selector", "string", "", 1, _deploy_selector),
    ],
    "Namespace": [_NAME, ("Status", "string", "", 0, _field("status", "phase")), _AGE],
    "ServiceAccount": [_NAME, ("Secrets", "string", "", 0, _count("secrets")), _AGE],
    "ConfigMap": [_NAME, ("Data", "string", "", 0, _count("data", "binaryData")), _AGE],
    "Endpoints": [_NAME, ("Endpoints", "string", "", 0, _endpoints), _AGE],
    "Event": [
        ("Last Seen", "string", "", 0, _event_last_seen),
        ("Type", "string", "", 0, _field("type")),
        ("Reason", "string", "", 0, _field("reason")),
        ("Object", "string", "", 0, _event_object),
        ("Message", "string", "", 0, _field("message")),
    ],
    "VirtualService": [
        _NAME,
        ("Gateways", "string", "", 0, _json_cell("spec", "gateways")),
        ("Hosts", "string", "", 0, _json_cell("spec", "hosts")),
        _AGE,
    ],
    "DestinationRule": [_NAME, ("Host", "string", "", 0, _json_cell("spec", "host")), _AGE],
    "Gateway": [_NAME, _AGE],
    "ServiceEntry": [
        _NAME,
        ("Hosts", "string", "", 0, _json_cell("spec", "hosts")),
        ("Location", "string", "", 0, _json_cell("spec", "location")),
        ("Resolution", "string", "", 0, _json_cell("spec", "resolution")),
        _AGE,
    ],
}  # fmt: skip


def columns_for(kind: Kind) -> list[Column]:
    if kind.kind in _COLUMNS:
        return _COLUMNS[kind.kind]
    return [_NAME, _AGE]


def _partial(obj: dict) -> dict:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata", {}),
    }


def table(
    kind: Kind,
    objects: list[dict],
    now: datetime,
    *,
    include_object: str = "Metadata",
    resource_version: str = "",
) -> dict:
    """A Table of objects; include_object is the request's includeObject (None|Metadata|Object)."""
    cols = columns_for(kind)
    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": [c[4](obj, now) for c in cols]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = _partial(obj)
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version} if resource_version else {},
        "columnDefinitions": [
            {"name": n, "type": t, "format": f, "description": "", "priority": p}
            for n, t, f, p, _ in cols
        ],
        "rows": rows,
    }
