"""Mesh checks in the spirit of `istioctl analyze` and Kiali's validations: pure, over dicts.

`analyze(objects)` takes whatever is known — live objects plus a step's manifests, or files alone
(then Deployments stand for their pods) — and returns findings sorted by severity, then place.
"""

from __future__ import annotations

from collections.abc import Iterable

from istiotui.mesh.analysis.destinations import check_destination_rules
from istiotui.mesh.analysis.findings import CATALOGUE, Finding, Severity
from istiotui.mesh.analysis.index import Index
from istiotui.mesh.analysis.routing import check_virtual_services
from istiotui.mesh.analysis.workloads import check_egress, check_gateways, check_injection

__all__ = ["CATALOGUE", "Finding", "Severity", "analyze", "overlay"]


def analyze(objects: Iterable[dict]) -> list[Finding]:
    index = Index.build(objects)
    found = [
        *check_virtual_services(index),
        *check_destination_rules(index),
        *check_gateways(index),
        *check_injection(index),
        *check_egress(index),
    ]
    return sorted(found, key=lambda f: (-f.severity, f.kind, f.namespace, f.name, f.field, f.code))


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
