"""An explanation as the issue's JSON, and as the lines `istiotui explain` prints."""

from __future__ import annotations

from typing import Any

from istiotui.mesh.explain.walk import Explanation


def _percent(value: float) -> str:
    return f"{value:g} %"


def as_json(e: Explanation) -> dict[str, Any]:
    policies: dict[str, Any] = dict(e.policies)
    for key in ("connection_pool", "outlier_detection"):
        per = {d.cluster: d.policies[key] for d in e.destinations if key in d.policies}
        if per:
            policies[key] = per
    return {
        "proxy": e.proxy,
        "request": {
            "method": e.request.method,
            "authority": e.request.authority,
            "path": e.request.path,
            "headers": e.request.headers,
        },
        "listener": e.listener,
        "filter_chain": e.filter_chain,
        "route_config": e.route_config,
        "virtual_host": e.virtual_host,
        "domain": e.domain or None,
        "route": None
        if e.route_index is None
        else {"index": e.route_index, "name": e.route_name or None, "match": e.why},
        "skipped_routes": [
            {"index": s.index, "name": s.name or None, "failed": s.failed} for s in e.skipped
        ],
        "virtual_service": e.virtual_service,
        "rule": e.rule,
        "source": e.source,
        "destinations": [
            {
                "cluster": d.cluster,
                "weight": d.weight,
                "exists": d.exists,
                "destination_rule": d.destination_rule,
                "endpoints": d.endpoints,
            }
            for d in e.destinations
        ],
        "policies": policies,
        "direct_response": e.direct_response,
        "redirect": e.redirect,
        "response_flag": e.flag,
        "reason": e.reason or None,
        "notes": e.notes,
    }


def _policy_lines(p: dict[str, Any]) -> list[str]:
    lines = []
    fault = p.get("fault") or {}
    if "delay" in fault:
        d = fault["delay"]
        lines.append(f"fault delay {d['fixed']} for {_percent(d['percent'])} of requests")
    if "abort" in fault:
        a = fault["abort"]
        code = a.get("http_status", a.get("grpc_status"))
        lines.append(f"fault abort {code} for {_percent(a['percent'])} of requests")
    if "timeout" in p:
        lines.append(f"timeout {p['timeout'] or 'none (waits for the upstream)'}")
    if p.get("retries"):
        r = p["retries"]
        extra = f", {r['per_try_timeout']} per try" if r.get("per_try_timeout") else ""
        lines.append(f"retries {r['attempts']} on {r['retry_on']}{extra}")
    for m in p.get("mirror") or []:
        lines.append(f"mirror {_percent(m['percent'])} to {m['cluster']} (answers discarded)")
    return lines


def as_text(e: Explanation) -> str:
    r = e.request
    out = [f"{r.method} {r.scheme}://{r.authority}{r.path} from {e.proxy}"]
    for name, value in sorted(r.headers.items()):
        out.append(f"  {name}: {value}")
    chain = f"  ({e.filter_chain})" if e.filter_chain else ""
    out.append(f"listener      {e.listener or '-'}{chain}")
    if e.route_config is not None:
        out.append(f"route config  {e.route_config}")
    if e.virtual_host:
        out.append(f"virtual host  {e.virtual_host}  (domain {e.domain!r})")
    for s in e.skipped:
        out.append(f"  route {s.index}{' ' + s.name if s.name else ''}: no — {s.failed}")
    if e.route_index is not None:
        name = f" {e.route_name}" if e.route_name else ""
        out.append(f"route         #{e.route_index}{name}: {' and '.join(e.why)}")
    if e.virtual_service:
        rule = f" {e.rule_kind}[{e.rule}]" if e.rule is not None else ""
        out.append(f"from          VirtualService {e.virtual_service}{rule}")
        if e.source:  # a line of its own: a long path wraps whole under a narrow terminal
            out.append(f"  applied by {e.source}")
    elif e.virtual_host in ("allow_any", "block_all"):
        out.append(
            f"from          no service of the mesh has host {r.authority}: the outbound"
            f" policy's catch-all ({e.virtual_host})"
        )
    elif e.route_index is not None or e.destinations:
        out.append("from          no VirtualService (the default route istiod builds per service)")
    for d in e.destinations:
        mark = "" if d.exists else "  ← does not exist"
        out.append(f"destination   {d.cluster}  weight {d.weight}{mark}")
        if d.destination_rule:
            out.append(f"  DestinationRule {d.destination_rule}")
        for ep in d.endpoints:
            out.append(f"  endpoint {ep}")
        if d.exists and not d.endpoints:
            out.append("  no endpoints (503 UH: no healthy upstream)")
        if "connection_pool" in d.policies:
            limits = ", ".join(f"{k} {v}" for k, v in d.policies["connection_pool"].items())
            out.append(f"  connection pool: {limits}")
        if "outlier_detection" in d.policies:
            od = ", ".join(f"{k} {v}" for k, v in d.policies["outlier_detection"].items())
            out.append(f"  outlier detection: {od}")
    for line in _policy_lines(e.policies):
        out.append(f"policy        {line}")
    if e.direct_response is not None:
        out.append(f"answer        {e.direct_response} from the proxy itself")
    if e.redirect:
        out.append(f"answer        redirect {e.redirect}")
    if e.flag:
        out.append(f"result        {e.flag}: {e.reason}")
    elif e.reason:
        out.append(f"result        {e.reason}")
    for note in e.notes:
        out.append(f"note          {note}")
    return "\n".join(out)


def hops_text(hops: list[Explanation]) -> str:
    """The gateways the request is routed on to, each walked as the first proxy was."""
    return "".join(f"\n\nnext hop      {h.proxy}\n{as_text(h)}" for h in hops)
