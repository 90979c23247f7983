"""Mesh checks in the spirit of `istioctl analyze` and Kiali's validations: pure, over dicts.

`analyze(objects)` takes whatever is known — live objects plus a step's manifests — and returns
findings sorted by severity, then place. `analyze(objects, offline=Offline(...))` analyses files
alone: Deployments stand for their pods, the gateways an Istio install creates count as present,
and references the files cannot settle are Info, never errors. Findings on an object annotated
`galley.istio.io/analyze-suppress` are left out, for the CLI and the TUI alike.
"""

from __future__ import annotations

from collections.abc import Iterable

from istiotui.mesh.analysis.destinations import check_destination_rules
from istiotui.mesh.analysis.findings import CATALOGUE, Finding, Severity
from istiotui.mesh.analysis.index import Index
from istiotui.mesh.analysis.routing import check_virtual_services
from istiotui.mesh.analysis.scope import Offline
from istiotui.mesh.analysis.suppress import Rule, silenced
from istiotui.mesh.analysis.workloads import check_egress, check_gateways, check_injection

__all__ = ["CATALOGUE", "Finding", "Offline", "Rule", "Severity", "analyze", "overlay"]


def analyze(
    objects: Iterable[dict],
    *,
    offline: Offline | None = None,
    suppress: tuple[Rule, ...] = (),
) -> list[Finding]:
    index = Index.build(objects, offline)
    found = [
        *check_virtual_services(index),
        *check_destination_rules(index),
        *check_gateways(index),
        *check_injection(index),
        *check_egress(index),
    ]
    by_key = {_key(o): o for o in index.objects}
    kept = [f for f in found if not silenced(f, by_key.get(_subject_key(f)), suppress)]
    return sorted(kept, key=lambda f: (-f.severity, f.kind, f.namespace, f.name, f.field, f.code))


def _subject_key(finding: Finding) -> tuple[str, str, str]:
    # A Namespace's finding names it by `name`; its metadata has no namespace.
    ns = "default" if finding.kind == "Namespace" else finding.namespace
    return (finding.kind, ns, finding.name)


def _key(obj: dict) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return (obj.get("kind", ""), meta.get("namespace") or "default", meta.get("name", ""))


def overlay(
    live: Iterable[dict], applied: Iterable[dict], deleted: Iterable[dict] = ()
) -> list[dict]:
    """The state after a step: live objects, replaced or joined by the step's, minus deletions."""
    state = {_key(o): o for o in live}
    for obj in deleted:
        state.pop(_key(obj), None)
    for obj in applied:
        state[_key(obj)] = obj
    return list(state.values())
