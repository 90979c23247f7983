"""`istiotui explain`'s I/O around the pure walk: which proxy, its config dump, the objects named.

Shared by the command and the app. The dump comes from the pod's own `pilot-agent request GET
config_dump` through exec, on every kind of cluster (the local istio-proxy answers it with its
part of the one Envoy). Proxy status comes from istiod's `/debug/syncz` the same way.
`send` sends the request once through the same proxy and reads its access log line back.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from istiotui.cluster.errors import ClusterError
from istiotui.cluster.proxy_dump import exec_config_dump, exec_syncz
from istiotui.lab import model as m
from istiotui.lab.session import Session
from istiotui.mesh.explain import Explanation, ProxyConfig, Request, explain, parse_dump
from istiotui.mesh.explain.accesslog import AccessLine, find_request, parse_line
from istiotui.mesh.explain.dump import DumpError
from istiotui.mesh.explain.rules import http_rule, tls_rule
from istiotui.mesh.proxy_sync import SyncError, parse_syncz, rows

INGRESS = ("istio-system", "app=istio-ingressgateway")
ISTIOD = ("istio-system", "app=istiod")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
VS = ("networking.istio.io/v1", "VirtualService")
LOG_WAIT = 5.0  # seconds to wait for Envoy to flush the access log line (it flushes each second)


class ExplainError(Exception):
    """The request cannot be explained; the message says why (no such pod, no sidecar…)."""


@dataclass(frozen=True)
class Proxy:
    namespace: str
    pod: str
    labels: dict[str, str]
    gateway: bool

    @property
    def name(self) -> str:
        return f"{self.pod}.{self.namespace}"


@dataclass
class Sent:
    status: int | None
    error: str | None = None
    version: str | None = None  # the answering pod's `version` label
    line: AccessLine | None = None  # the proxy's access log line for it
    predicted: bool | None = None  # whether its cluster is among the explained destinations
    notes: list[str] = field(default_factory=list)


def parse_headers(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise ExplainError(f"header {item!r} is not NAME: VALUE")
        out[name.strip().lower()] = value.strip()
    return out


def build_request(url: str, headers: dict[str, str], method: str = "GET") -> tuple[Request, int]:
    """The request as the proxy sees it, and the port it is sent to."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not parts.hostname:
        raise ExplainError(f"{url!r} names no host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    default = parts.netloc if parts.port else parts.hostname
    authority = headers.pop("host", default)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Request(method.upper(), authority, path, headers, parts.scheme or "http"), port


def _pod_proxy(pod: dict[str, Any]) -> Proxy:
    meta = pod.get("metadata") or {}
    labels = dict(meta.get("labels") or {})
    containers = (pod.get("spec") or {}).get("containers") or []
    proxy = next((c for c in containers if c.get("name") == "istio-proxy"), None)
    gateway = labels.get("istio", "").endswith("gateway") or (
        proxy is not None and "router" in (proxy.get("args") or [])
    )
    if proxy is None and not gateway:
        raise ExplainError(
            f"pod {meta.get('namespace')}/{meta.get('name')} has no istio-proxy: its requests do"
            " not go through the mesh, so no proxy decides where they go"
        )
    return Proxy(str(meta.get("namespace")), str(meta.get("name")), labels, gateway)


def _ready_first(pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def ready(p: dict[str, Any]) -> bool:
        return (p.get("status") or {}).get("phase") == "Running"

    return sorted(pods, key=lambda p: (not ready(p), p["metadata"]["name"]))


def resolve_proxy(session: Session, ref: str | None, namespace: str, url: str) -> Proxy:
    """`--from POD`, `--from NS/POD`, `--from deploy/NAME`; none: the ingress gateway for
    `localhost` (the lab's port-forward), else an error."""
    objects = session.objects
    if ref is None:
        host = urlsplit(url if "://" in url else f"http://{url}").hostname or ""
        if host not in LOCAL_HOSTS:
            raise ExplainError(
                "say which proxy sends the request: --from POD or --from deploy/NAME (a URL on"
                " localhost is explained from the ingress gateway)"
            )
        pods = _ready_first(objects.list("v1", "Pod", INGRESS[0], INGRESS[1]))
        if not pods:
            raise ExplainError("no ingress gateway pod in istio-system (is Istio installed?)")
        return _pod_proxy(pods[0])
    kind, slash, name = ref.partition("/")
    if slash and kind in ("deploy", "deployment", "deployments"):
        dep = objects.get("apps/v1", "Deployment", name, namespace)
        if dep is None:
            raise ExplainError(f"no deployment {name} in namespace {namespace}")
        labels = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        pods = _ready_first(objects.list("v1", "Pod", namespace, selector))
        if not pods:
            raise ExplainError(f"deployment {namespace}/{name} has no pods")
        return _pod_proxy(pods[0])
    if slash:
        namespace, name = kind, name
    else:
        name = ref
    pod = objects.get("v1", "Pod", name, namespace)
    if pod is None:
        raise ExplainError(f"no pod {name} in namespace {namespace}")
    return _pod_proxy(pod)


def config_dump(session: Session, proxy: Proxy) -> dict[str, Any]:
    try:
        return exec_config_dump(session.connection.api_client, proxy.namespace, proxy.pod)
    except (ClusterError, OSError) as exc:
        raise ExplainError(str(exc)) from None


def _target_port(session: Session, proxy: Proxy, port: int) -> int | None:
    """A gateway's Service port → the container port its listener binds (80 → 8080)."""
    if not proxy.gateway:
        return None
    for svc in session.objects.list("v1", "Service", proxy.namespace):
        selector = (svc.get("spec") or {}).get("selector") or {}
        if not selector or any(proxy.labels.get(k) != v for k, v in selector.items()):
            continue
        for p in (svc.get("spec") or {}).get("ports") or []:
            target = p.get("targetPort", p.get("target_port"))
            if p.get("port") == port and isinstance(target, int):
                return target
    return None


def _pods_by_ip(session: Session) -> tuple[dict[str, str], dict[str, str]]:
    names, versions = {}, {}
    for pod in session.objects.list("v1", "Pod"):
        status = pod.get("status") or {}
        ip = status.get("podIP") or status.get("pod_ip")
        if ip:
            meta = pod["metadata"]
            names[ip] = f"{meta['namespace']}/{meta['name']}"
            version = (meta.get("labels") or {}).get("version")
            if version:
                versions[ip] = version
    return names, versions


def _source(lab: m.Lab | None, kind: str, namespace: str, name: str, spec: Any) -> str | None:
    """file:line of the lab's manifest that applies this object (the one with this very spec,
    else the last that names it)."""
    if lab is None:
        return None
    same, named = None, None
    for step in lab.steps():
        for action in step.actions:
            manifest = getattr(action, "manifest", None)
            if manifest is None:
                continue
            step_ns = getattr(action, "namespace", None) or step.namespace
            for obj in manifest.objects:
                meta = obj.body.get("metadata") or {}
                ns = meta.get("namespace") or step_ns
                if obj.kind != kind or meta.get("name") != name or ns != namespace:
                    continue
                named = str(obj.source)
                if obj.body.get("spec") == spec:
                    same = str(obj.source)
    return same or named


def proxy_config(session: Session, ref: str, namespace: str) -> tuple[Proxy, ProxyConfig]:
    """One pod's proxy configuration, indexed (`istiotui proxy-config`, the app's view)."""
    proxy = resolve_proxy(session, ref, namespace, "")
    try:
        return proxy, parse_dump(config_dump(session, proxy), proxy.name)
    except DumpError as exc:
        raise ExplainError(f"{proxy.name}: {exc}") from None


def proxy_status(session: Session) -> list[dict[str, str]]:
    """Every proxy's sync state per xDS type, from each running istiod's `/debug/syncz`
    (`istiotui proxy-status`, the app's view): what `istioctl proxy-status` prints."""
    pods = [p for p in session.objects.list("v1", "Pod", ISTIOD[0], ISTIOD[1])
            if (p.get("status") or {}).get("phase") == "Running"]  # fmt: skip
    if not pods:
        raise ExplainError(f"no running istiod pod in {ISTIOD[0]} (is Istio installed?)")
    out: list[dict[str, str]] = []
    for pod in pods:
        name = pod["metadata"]["name"]
        try:
            text = exec_syncz(session.connection.api_client, ISTIOD[0], name)
            out += rows(parse_syncz(text), f"{name}.{ISTIOD[0]}")
        except (ClusterError, SyncError) as exc:
            raise ExplainError(f"istiod {name}: {exc}") from None
    return sorted(out, key=lambda r: r["name"])


def explain_request(
    session: Session,
    url: str,
    headers: dict[str, str],
    *,
    from_ref: str | None = None,
    namespace: str = "default",
    method: str = "GET",
    lab: m.Lab | None = None,
) -> tuple[Proxy, Explanation]:
    proxy = resolve_proxy(session, from_ref, namespace, url)
    req, port = build_request(url, dict(headers), method)
    if proxy.gateway and from_ref is None and req.authority.split(":")[0] in LOCAL_HOSTS:
        port = 80  # the lab's port-forward: localhost:8080 → the gateway Service's port 80
    return proxy, _explain_at(session, proxy, req, port, lab)


def _explain_at(
    session: Session, proxy: Proxy, req: Request, port: int, lab: m.Lab | None
) -> Explanation:
    """The walk through `proxy` of `req` arriving on (Service) port `port`, objects named."""
    try:
        cfg = parse_dump(config_dump(session, proxy), proxy.name)
    except DumpError as exc:
        raise ExplainError(f"{proxy.name}: {exc}") from None
    names, _ = _pods_by_ip(session)
    e = explain(cfg, req, port, gateway=proxy.gateway,
                target_port=_target_port(session, proxy, port), pods=names)  # fmt: skip
    if e.virtual_service:
        vs_ns, vs_name = e.virtual_service.split("/", 1)
        try:
            vs = session.objects.get(*VS, vs_name, vs_ns)
        except ClusterError:
            vs = None
        spec = (vs or {}).get("spec") or {}
        if e.rule_kind == "http" and e.raw_route is not None:
            e.rule = http_rule(spec, e.raw_route)
        elif e.sni:
            e.rule = tls_rule(spec, e.sni, port, proxy.gateway)
        if vs is not None:
            e.source = _source(lab, "VirtualService", vs_ns, vs_name, spec)
    return e


def _gateway_behind(session: Session, e: Explanation) -> tuple[Proxy, int] | None:
    """The gateway a destination of `e` leads to (its Service's pods are gateways), and the
    Service port the request arrives on there: the mesh's egress through a gateway."""
    for d in e.destinations:
        parts = d.cluster.split("|")
        if not d.exists or len(parts) != 4 or parts[0] != "outbound" or ".svc." not in parts[3]:
            continue
        name, namespace = parts[3].split(".")[:2]
        svc = session.objects.get("v1", "Service", name, namespace)
        selector = ((svc or {}).get("spec") or {}).get("selector") or {}
        if not selector or not parts[1].isdigit():
            continue
        wanted = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
        for pod in _ready_first(session.objects.list("v1", "Pod", namespace, wanted))[:1]:
            try:
                proxy = _pod_proxy(pod)
            except ExplainError:
                continue
            if proxy.gateway:
                return proxy, int(parts[1])
    return None


def next_hops(
    session: Session, e: Explanation, lab: m.Lab | None = None, limit: int = 3
) -> list[tuple[Proxy, Explanation]]:
    """The request followed on through the gateways it is routed to (sidecar → egress gateway
    → the external host), each walked through that gateway's own configuration."""
    hops: list[tuple[Proxy, Explanation]] = []
    current = e
    for _ in range(limit):  # a gateway routed back into a gateway ends somewhere
        try:
            found = _gateway_behind(session, current)
            if found is None:
                break
            proxy, port = found
            following = _explain_at(session, proxy, current.request, port, lab)
        except (ExplainError, ClusterError) as exc:
            # What is explained so far stands (and `--send` still goes): a hop it cannot read
            # (a 403 on istio-system, a gateway's dump that fails) is said, not fatal.
            current.notes.append(f"the next hop was not followed: {exc}")
            break
        current = following
        hops.append((proxy, current))
    return hops


def send(session: Session, proxy: Proxy, e: Explanation, url: str, timeout: float = 15.0) -> Sent:
    """Send the request once through the proxy; report what came back and what the proxy logged."""
    from istiotui.traffic.engine import ProbeSpec
    from istiotui.traffic.vantage import VantageUnavailable, probe

    request_id = f"istiotui-explain-{uuid.uuid4()}"
    # A gateway replaces an outside request's x-request-id: the user agent carries it too.
    headers = {**e.request.headers, "x-request-id": request_id, "user-agent": request_id}
    parts = urlsplit(url if "://" in url else f"http://{url}")
    host = e.request.authority if e.request.authority != parts.netloc else None
    if proxy.gateway:  # sent to the gateway's own address: the path, with the Host header
        url, host = e.request.path, e.request.authority
    spec = ProbeSpec(url=url, count=1, concurrency=1, timeout=timeout, host=host,
                     headers=headers, classify="status")  # fmt: skip
    seen = _log_text(session, proxy).count("\n")  # TLS lines carry no id: the new ones count
    try:
        if proxy.gateway:
            target = session.vantages.ingress_target()
        else:
            selector = ",".join(f"{k}={v}" for k, v in sorted(proxy.labels.items()))
            target = session.vantages.pod_target(proxy.namespace, selector)
        result = asyncio.run(probe(spec, target))
    except (VantageUnavailable, ClusterError) as exc:
        raise ExplainError(f"--send: {exc}") from None
    response = result.responses[0]
    out = Sent(response.status, response.error)
    out.line = _log_line(session, proxy, request_id, e.sni, seen)
    if out.line is None:
        out.notes.append(f"no access log line of {proxy.name} carries x-request-id {request_id}")
        return out
    _, versions = _pods_by_ip(session)
    ip = out.line.upstream_host.rsplit(":", 1)[0]
    out.version = versions.get(ip)
    if out.line.cluster not in ("-", ""):
        out.predicted = out.line.cluster in e.clusters
    elif e.flag:
        out.predicted = out.line.flags == e.flag
    return out


def _log_text(session: Session, proxy: Proxy) -> str:
    try:
        return session.objects.logs(proxy.namespace, proxy.pod, "istio-proxy")
    except ClusterError:
        return ""


def _log_line(
    session: Session, proxy: Proxy, request_id: str, sni: list[str], seen: int
) -> AccessLine | None:
    deadline = time.monotonic() + LOG_WAIT
    while True:
        text = _log_text(session, proxy)
        if sni:  # a TLS connection: the first new line for that server name
            new = "\n".join(text.splitlines()[seen:])
            line = next((ln for ln in map(parse_line, new.splitlines())
                         if ln is not None and ln.server_name in sni), None)  # fmt: skip
        else:
            line = find_request(text, request_id)
        if line is not None or time.monotonic() > deadline:
            return line
        time.sleep(0.25)


def sent_json(sent: Sent) -> dict[str, Any]:
    line = sent.line
    return {
        "status": sent.status,
        "error": sent.error,
        "version": sent.version,
        "response_flags": line.flags if line else None,
        "cluster": line.cluster if line else None,
        "upstream_host": line.upstream_host if line else None,
        "duration_ms": line.duration_ms if line else None,
        "predicted": sent.predicted,
        "notes": sent.notes,
    }


def sent_text(sent: Sent) -> str:
    status = sent.status if sent.status is not None else f"no answer ({sent.error})"
    lines = [f"sent          status {status}"]
    if sent.line is not None:
        ln = sent.line
        lines.append(
            f"  proxy logged {ln.code} flags {ln.flags} cluster {ln.cluster} upstream "
            f"{ln.upstream_host} in {ln.duration_ms} ms"
        )
    if sent.version:
        lines.append(f"  answered by version {sent.version}")
    if sent.predicted is not None:
        verdict = "yes" if sent.predicted else "NO"
        lines.append(f"  among the predicted destinations: {verdict}")
    lines += [f"  note: {n}" for n in sent.notes]
    return "\n".join(lines)
