"""One-line descriptions of actions, probes and expectations, for the CLI and the UI.

They say what the step will do in terms a learner knows from kubectl, in the
learner's language where words are ours; kinds, names and paths stay as written.
"""

from __future__ import annotations

from istiotui.lab.model import (
    Action,
    AllOf,
    Apply,
    BodyHas,
    BodyLacks,
    Create,
    DeleteManifest,
    DeleteObject,
    Expectation,
    GraphEdges,
    HeaderShare,
    Host,
    Istioctl,
    Label,
    Lang,
    LatencyWithin,
    LogLines,
    Manual,
    ObjectRef,
    Only,
    Patch,
    Probe,
    ProxyStat,
    RolloutRestart,
    Shares,
    StatusIs,
    StatusShare,
    Wait,
)
from istiotui.lab.words import word


def _ref(ref: ObjectRef) -> str:
    return f"{ref.kind}/{ref.name}" + (f" -n {ref.namespace}" if ref.namespace else "")


def action_line(action: Action, lang: Lang) -> str:
    """The action as one line, kubectl-style (`apply -f PATH -n NS`)."""
    match action:
        case Apply() | Create() | DeleteManifest():
            ns = f" -n {action.namespace}" if action.namespace else ""
            extra = " --ignore-not-found" if getattr(action, "ignore_not_found", False) else ""
            return f"{action.verb} -f {action.manifest.path}{ns}{extra}"
        case DeleteObject():
            extra = " --ignore-not-found" if action.ignore_not_found else ""
            return f"delete {_ref(action.target)}{extra}"
        case Label():
            pairs = " ".join(
                f"{k}-" if v is None else f"{k}={v}" for k, v in sorted(action.labels.items())
            )
            return f"label {_ref(action.target)} {pairs}"
        case Patch():
            return f"patch {_ref(action.target)} (merge patch)"
        case RolloutRestart():
            return f"rollout restart {_ref(action.target)}"
        case Wait():
            what = action.name or (f"-l {action.selector}" if action.selector else "--all")
            return (
                f"wait {action.kind} {what} -n {action.namespace} "
                f"--for={action.until} --timeout={action.timeout:g}s"
            )
        case Istioctl():
            return "istioctl " + " ".join(action.args)
        case Host():
            return f"{action.command}   ({word('on_host', lang)})"
        case Manual():
            return f"({word('by_hand', lang)}) {action.text.get(lang)}"
    raise TypeError(action)  # pragma: no cover


def action_details(action: Action, lang: Lang) -> list[str]:
    """Lines to show under an action: the objects a manifest holds, what stands in locally."""
    if isinstance(action, Apply | Create | DeleteManifest):
        return [str(obj) for obj in action.manifest.objects]
    if isinstance(action, Istioctl) and action.local:
        return [f"{word('on_local', lang)}: {action_line(a, lang)}" for a in action.local]
    return []


def probe_line(probe: Probe) -> str:
    """`pages: 30 × GET /productpage via ingress, …`."""
    parts = [f"{probe.id}: {probe.count} × {probe.method} {probe.url} via {probe.vantage}"]
    if probe.pod:
        container = f" -c {probe.pod.container}" if probe.pod.container else ""
        parts.append(f"from -l {probe.pod.selector} -n {probe.pod.namespace}{container}")
    if probe.service:
        svc = probe.service
        parts.append(f"to svc/{svc.name}:{svc.port} -n {svc.namespace}")
    if probe.host:
        parts.append(f"Host: {probe.host}")
    parts += [f"{name}: {value}" for name, value in probe.headers.items()]
    if probe.user:
        parts.append(f"user {probe.user}")
    parts.append(f"concurrency {probe.concurrency}")
    if probe.keepalive:
        parts.append("keep-alive")
    if probe.qps:
        parts.append(f"{probe.qps:g} qps")
    parts.append(f"classify {probe.classify}")
    if probe.logs:
        logs = probe.logs
        parts.append(f"logs of deploy/{logs.deployment} -n {logs.namespace}")
    return ", ".join(parts)


def _bounds(low: float | None, high: float | None, unit: str = "") -> str:
    if low is not None and high is not None:
        return f"between {low:g}{unit} and {high:g}{unit}"
    if low is not None:
        return f"≥ {low:g}{unit}"
    return f"≤ {high:g}{unit}"


def expectation_line(exp: Expectation) -> str:
    """`pages: only v1`, `load: 503 share between 0.2 and 1`, …."""
    match exp:
        case Only():
            text = f"only {exp.value}"
        case AllOf():
            text = "all of " + ", ".join(exp.values)
        case Shares():
            shares = ", ".join(f"{k} {v:.0%}" for k, v in exp.shares.items())
            text = f"shares {shares} (confidence {exp.confidence:g})"
        case StatusIs():
            text = f"status {exp.code}"
        case StatusShare():
            text = f"share of {exp.code} {_bounds(exp.min, exp.max)}"
        case LatencyWithin():
            text = f"p{exp.percentile:g} latency {_bounds(exp.min, exp.max, ' s')}"
        case BodyHas():
            text = f"body contains {exp.text!r}"
        case BodyLacks():
            text = f"body never contains {exp.text!r}"
        case LogLines():
            text = f"new log lines {_bounds(exp.min, exp.max)}"
        case HeaderShare():
            value = f"={exp.value}" if exp.value is not None else ""
            text = f"header {exp.name}{value} on a share {_bounds(exp.min_share, exp.max_share)}"
        case ProxyStat():
            text = (
                f"{exp.name} of the proxies of {exp.selector} -n {exp.namespace} gains "
                f"as many as the probe's {exp.equals_status}s"
            )
        case GraphEdges():
            edges = (
                f"{e.source} → {e.destination}"
                + (f" ({'/'.join(e.versions)})" if e.versions else "")
                for e in exp.edges
            )
            text = f"graph -n {exp.namespace}: " + ", ".join(edges)
        case _:  # pragma: no cover
            raise TypeError(exp)
    return f"{exp.probe}: {text}"
