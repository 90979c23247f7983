"""Turns records the loader has checked into the frozen model of `istiotui.lab.model`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from istiotui.lab.manifests import cluster_scoped
from istiotui.lab.model import (
    Action,
    AllOf,
    Apply,
    BodyHas,
    BodyLacks,
    Create,
    DeleteManifest,
    DeleteObject,
    EdgeCheck,
    Expectation,
    GraphEdges,
    HeaderShare,
    Host,
    Istioctl,
    Lab,
    Label,
    LatencyWithin,
    LogLines,
    LogSource,
    Manifest,
    Manual,
    ObjectRef,
    Only,
    Patch,
    PodSelector,
    Probe,
    ProxyStat,
    RolloutRestart,
    Section,
    ServiceTarget,
    Shares,
    Source,
    StatusIs,
    StatusShare,
    Step,
    Wait,
)
from istiotui.lab.schema import Rec

MANIFEST_ACTIONS = ("apply", "create", "delete")

# (manifest PATH as written, step namespace, the action's namespace) -> the resolved manifest
ManifestLookup = Callable[[str, str, "str | None"], Manifest]


class Builder:
    """Builds the model from records the loader found valid (so it checks nothing itself)."""

    def __init__(self, manifest_for: ManifestLookup) -> None:
        self.manifest_for = manifest_for

    def lab(self, rec: Rec, source: Source, sections: list[tuple[str, Rec]], root: Path) -> Lab:
        built = tuple(self.section(file, s) for file, s in sections)
        return Lab(
            id=rec["id"],
            title=rec["title"],
            intro=rec["intro"],
            objectives=rec["objectives"],
            prerequisites=rec["prerequisites"],
            sections=built,
            root=root,
            source=source,
        )

    def section(self, file: str, rec: Rec) -> Section:
        steps = tuple(self.step(file, rec["id"], s) for s in rec["steps"])
        return Section(
            id=rec["id"],
            number=rec["number"],
            title=rec["title"],
            intro=rec.get("intro"),
            steps=steps,
            source=Source(file, rec.line),
        )

    def step(self, file: str, section: str, rec: Rec) -> Step:
        ns = rec["namespace"]
        return Step(
            id=rec["id"],
            section=section,
            title=rec["title"],
            text=rec["text"],
            where=rec["where"],
            namespace=ns,
            commands=tuple(rec["commands"]),
            requires=tuple(rec["requires"]),
            actions=tuple(self.action(file, a, ns) for a in rec["actions"]),
            cleanup=tuple(self.action(file, a, ns) for a in rec["cleanup"]),
            probes=tuple(_probe(file, p, ns) for p in rec["probes"]),
            expect=tuple(_expectation(file, e, ns) for e in rec["expect"]),
            expected=rec["expected"],
            source=Source(file, rec.line),
        )

    def action(self, file: str, rec: Rec, ns: str) -> Action:
        kind = rec["kind"]
        value = rec[kind]
        source = Source(file, rec.line)
        if kind in MANIFEST_ACTIONS and isinstance(value, str):
            forced = rec.get("namespace")
            manifest = self.manifest_for(value, ns, forced)
            if kind == "apply":
                return Apply(manifest, forced, source)
            if kind == "create":
                return Create(manifest, forced, source)
            return DeleteManifest(manifest, forced, rec["ignore_not_found"], source)
        if kind == "delete":
            return DeleteObject(_ref(value, ns), rec["ignore_not_found"], source)
        if kind == "label":
            return Label(_ref(value, ns), dict(value["labels"]), source)
        if kind == "patch":
            return Patch(_ref(value, ns), value["patch"], source)
        if kind == "rollout_restart":
            return RolloutRestart(_ref(value, ns), source)
        if kind == "wait":
            return Wait(
                kind=value["kind"],
                namespace=value.get("namespace") or ns,
                selector=value.get("selector"),
                name=value.get("name"),
                until=value["for"],
                timeout=float(value["timeout"]),
                source=source,
            )
        if kind == "istioctl":
            local = tuple(self.action(file, a, ns) for a in rec.get("local") or [])
            return Istioctl(tuple(value), local, source)
        if kind == "host":
            return Host(value, source)
        return Manual(value, source)


def _ref(value: Rec, ns: str) -> ObjectRef:
    scoped = cluster_scoped(value["kind"])
    return ObjectRef(value["kind"], value["name"], None if scoped else value.get("namespace") or ns)


def _probe(file: str, rec: Rec, ns: str) -> Probe:
    pod = service = logs = None
    if "from" in rec:
        f = rec["from"]
        pod = PodSelector(f.get("namespace") or ns, f["selector"], f.get("container"))
    if "service" in rec:
        s = rec["service"]
        service = ServiceTarget(s.get("namespace") or ns, s["name"], s["port"])
    if "logs" in rec:
        g = rec["logs"]
        logs = LogSource(g.get("namespace") or ns, g["deployment"], g.get("container"))
    return Probe(
        id=rec["id"],
        vantage=rec["vantage"],
        url=rec["url"],
        method=rec["method"],
        host=rec.get("host"),
        headers=dict(rec.get("headers") or {}),
        user=rec.get("user"),
        count=rec["count"],
        concurrency=rec["concurrency"],
        qps=float(rec["qps"]),
        timeout=float(rec["timeout"]),
        keepalive=rec["keepalive"],
        classify=rec["classify"],
        source=Source(file, rec.line),
        pod=pod,
        service=service,
        logs=logs,
    )


def _expectation(file: str, rec: Rec, ns: str) -> Expectation:
    kind, probe, why = rec["kind"], rec["probe"], rec.get("why")
    value = rec[kind]
    source = Source(file, rec.line)
    if kind == "stat":
        where = value["from"]
        return ProxyStat(probe, where.get("namespace") or ns, where["selector"], value["name"],
                         value["equals_status"], why, source)  # fmt: skip
    if kind == "graph":
        edges = tuple(
            EdgeCheck(
                e["from"],
                e["to"],
                tuple(e.get("versions") or ()),
                e.get("requests") == "probe",
                e["min"],
            )
            for e in value["edges"]
        )
        return GraphEdges(probe, value.get("namespace") or ns, edges, why, source)
    if kind == "only":
        return Only(probe, value, why, source)
    if kind == "all_of":
        return AllOf(probe, tuple(value), why, source)
    if kind == "shares":
        shares = {k: float(v) for k, v in value.items()}
        return Shares(probe, shares, float(rec["confidence"]), why, source)
    if kind == "status":
        return StatusIs(probe, value, why, source)
    if kind == "status_share":
        return StatusShare(
            probe, value["code"], float(value["min"]), float(value["max"]), why, source
        )
    if kind == "latency":
        return LatencyWithin(
            probe, float(value["percentile"]), value.get("min"), value.get("max"), why, source
        )
    if kind == "text":
        return BodyHas(probe, value, why, source)
    if kind == "no_text":
        return BodyLacks(probe, value, why, source)
    if kind == "log_lines":
        return LogLines(probe, value.get("min"), value.get("max"), why, source)
    return HeaderShare(
        probe,
        value["name"],
        value.get("value"),
        float(value["min_share"]),
        float(value["max_share"]),
        why,
        source,
    )
