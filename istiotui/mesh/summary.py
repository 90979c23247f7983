"""One-line summaries of objects for the resource tree: what a learner looks for at a glance.

`reviews → v1 50% · v3 50%`, `jason → v2`, `delay 7s (jason)`, `maxConnections 1`, `2/2 Running`.
Pure functions over the dicts the API returns; the clock is a parameter so output is repeatable.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from istiotui.mesh.durations import human_duration


def _spec(obj: dict) -> dict:
    return obj.get("spec") or {}


def _short_host(host: str) -> str:
    return host.split(".", 1)[0] if host else "?"


def _destination(dest: dict) -> str:
    """A destination as its subset when it has one (`v1`), else its short host."""
    return dest.get("subset") or _short_host(dest.get("host", ""))


def _match_words(matches: Iterable[dict]) -> list[str]:
    """What selects a route, in the learner's terms: header values, URI prefixes, ports."""
    words: list[str] = []
    for match in matches or ():
        for header in (match.get("headers") or {}).values():
            words += [str(v) for v in (header or {}).values()]
        uri = match.get("uri") or {}
        words += [str(v) for v in uri.values()]
        if match.get("port"):
            words.append(f":{match['port']}")
    return words


def _percent(value: Any) -> str:
    number = (value or {}).get("value") if isinstance(value, dict) else value
    return "" if number is None or float(number) >= 100 else f" {float(number):g}%"


def _route_target(route: list[dict], hosts: list[str]) -> str:
    if not route:
        return "?"
    if len(route) == 1:
        return _destination(route[0].get("destination") or {})
    return " · ".join(
        f"{_destination(r.get('destination') or {})} {r.get('weight', 0)}%" for r in route
    )


def virtual_service(obj: dict) -> str:
    spec = _spec(obj)
    hosts = [_short_host(h) for h in spec.get("hosts") or []]
    parts: list[str] = []
    for rule in spec.get("http") or []:
        words = _match_words(rule.get("match") or [])
        who = ",".join(words) if words else (hosts[0] if hosts else "*")
        parts.append(f"{who} → {_route_target(rule.get('route') or [], hosts)}")
        scope = f" ({','.join(words)})" if words else ""
        fault = rule.get("fault") or {}
        delay = fault.get("delay") or {}
        if delay:
            pct = _percent(delay.get("percentage"))
            parts.append(f"delay {delay.get('fixedDelay', '?')}{pct}{scope}")
        abort = fault.get("abort") or {}
        if abort:
            pct = _percent(abort.get("percentage"))
            parts.append(f"abort {abort.get('httpStatus', '?')}{pct}{scope}")
        if rule.get("mirror"):
            pct = _percent(rule.get("mirrorPercentage"))
            parts.append(f"mirror {_destination(rule['mirror'])}{pct}")
        if rule.get("timeout"):
            parts.append(f"timeout {rule['timeout']}")
    for kind in ("tcp", "tls"):
        for rule in spec.get(kind) or []:
            parts.append(f"{kind} → {_route_target(rule.get('route') or [], hosts)}")
    return " · ".join(parts) if parts else "no routes"


def destination_rule(obj: dict) -> str:
    spec = _spec(obj)
    parts: list[str] = []
    subsets = [s.get("name", "?") for s in spec.get("subsets") or []]
    if subsets:
        parts.append("subsets " + " ".join(subsets))
    policy = spec.get("trafficPolicy") or {}
    pool = policy.get("connectionPool") or {}
    for section in ("tcp", "http"):
        for key, value in (pool.get(section) or {}).items():
            parts.append(f"{key} {value}")
    outlier = policy.get("outlierDetection") or {}
    if outlier:
        errors = outlier.get("consecutive5xxErrors", outlier.get("consecutiveErrors", "?"))
        parts.append(f"outlier {errors}×5xx/{outlier.get('interval', '10s')}")
    tls = (policy.get("tls") or {}).get("mode")
    if tls:
        parts.append(f"tls {tls}")
    return " · ".join(parts) if parts else f"host {_short_host(spec.get('host', ''))}"


def gateway(obj: dict) -> str:
    parts = []
    for server in _spec(obj).get("servers") or []:
        port = server.get("port") or {}
        hosts = ",".join(server.get("hosts") or ["*"])
        parts.append(f"{hosts} :{port.get('number', '?')}/{port.get('protocol', '?')}")
    return " · ".join(parts) if parts else "no servers"


def service_entry(obj: dict) -> str:
    spec = _spec(obj)
    hosts = ",".join(spec.get("hosts") or [])
    ports = ",".join(str(p.get("number")) for p in spec.get("ports") or [])
    where = spec.get("location", "MESH_EXTERNAL")
    return f"{hosts} :{ports} {where}".strip()


def service(obj: dict) -> str:
    spec = _spec(obj)
    ports = ",".join(str(p.get("port")) for p in spec.get("ports") or [])
    return f"{spec.get('type', 'ClusterIP')} :{ports}"


def deployment(obj: dict) -> str:
    status = obj.get("status") or {}
    ready = status.get("readyReplicas") or 0
    wanted = _spec(obj).get("replicas", 1)
    return f"{ready}/{wanted} ready"


def age(timestamp: str | None, now: datetime) -> str:
    """kubectl's AGE of a creationTimestamp (`45s`, `5m30s`, `3h`, `2d5h`); `?` when unreadable."""
    if not timestamp:
        return "?"
    try:
        born = datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))
    except ValueError:
        return "?"
    if born.tzinfo is None:
        born = born.replace(tzinfo=UTC)
    return human_duration((now - born).total_seconds())


def pod(obj: dict, now: datetime) -> str:
    status = obj.get("status") or {}
    containers = _spec(obj).get("containers") or []
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount") or 0) for c in statuses)
    parts = [f"{ready}/{len(containers)}", status.get("phase", "Pending")]
    if restarts:
        parts.append(f"restarts {restarts}")
    parts.append(age((obj.get("metadata") or {}).get("creationTimestamp"), now))
    return " ".join(parts)


def summarise(obj: dict, now: datetime | None = None) -> str:
    """The summary of any object the tree shows; empty for kinds it does not know."""
    now = now or datetime.now(UTC)
    match obj.get("kind"):
        case "VirtualService":
            return virtual_service(obj)
        case "DestinationRule":
            return destination_rule(obj)
        case "Gateway":
            return gateway(obj)
        case "ServiceEntry":
            return service_entry(obj)
        case "Service":
            return service(obj)
        case "Deployment":
            return deployment(obj)
        case "Pod":
            return pod(obj, now)
    return ""


def istio_version(deployments: Iterable[dict]) -> str | None:
    """The tag of istiod's image (`1.24.2`), as far as the Deployments tell."""
    for dep in deployments:
        meta = dep.get("metadata") or {}
        if meta.get("name") != "istiod":
            continue
        containers = (((_spec(dep).get("template") or {}).get("spec")) or {}).get("containers")
        for container in containers or []:
            image = container.get("image", "")
            if ":" in image.rsplit("/", 1)[-1]:
                return image.rsplit(":", 1)[1]
    return None
