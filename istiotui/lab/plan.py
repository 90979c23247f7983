"""What a step's actions will send to the cluster: the bodies, the flattened actions, the dry run.

The executor (carrying a step out) and the app's diff (showing it first) both plan from here, so
what is shown is what is sent, and both fail with the one `StepFailed` naming the action's
file:line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from istiotui.cluster.errors import ClusterError
from istiotui.cluster.kind import ClusterKind
from istiotui.cluster.objects import Objects
from istiotui.lab import model as m
from istiotui.mesh.analysis import Finding, analyze, overlay
from istiotui.mesh.diff import ObjectDiff, diff_object
from istiotui.mesh.kinds import lookup


class StepFailed(Exception):
    """An action could not be carried out; the message names the action's file:line."""


@dataclass(frozen=True)
class DiffResult:
    diffs: tuple[ObjectDiff, ...]
    findings: tuple[Finding, ...]


def bodies(manifest: m.Manifest, namespace: str | None) -> list[dict]:
    """The manifest's objects as `kubectl apply -n NS` would send them."""
    out = []
    for body in manifest.bodies:
        kind = lookup(body.get("kind", ""))
        meta = dict(body.get("metadata") or {})
        if namespace and (kind is None or kind.namespaced) and not meta.get("namespace"):
            meta["namespace"] = namespace
        out.append({**body, "metadata": meta})
    return out


def ref_body(ref: m.ObjectRef) -> dict:
    """The object an action names (kind, name, namespace) as a body the cluster layer takes."""
    kind = lookup(ref.kind)
    if kind is None:
        raise StepFailed(f"unknown kind {ref.kind!r}")
    meta = {"name": ref.name}
    if ref.namespace and kind.namespaced:
        meta["namespace"] = ref.namespace
    return {"apiVersion": kind.api_version, "kind": kind.kind, "metadata": meta}


def flat_actions(actions: Iterable[m.Action], cluster: ClusterKind) -> list[m.Action]:
    """The actions that will really run here (an istioctl on the local cluster: its stand-ins)."""
    out: list[m.Action] = []
    for action in actions:
        if isinstance(action, m.Istioctl) and cluster == ClusterKind.LOCAL:
            out += flat_actions(action.local, cluster)
        else:
            out.append(action)
    return out


def failed(action: m.Action, exc: Exception) -> StepFailed:
    """A cluster's refusal, worded with where the action is written."""
    return StepFailed(f"{action.source}: {action.verb}: {exc}")


def dry_run(
    objects: Objects, step: m.Step, cluster: ClusterKind, live: Iterable[dict]
) -> DiffResult:
    """The step's changes as the server would make them (dry run), and findings after it."""
    diffs: list[ObjectDiff] = []
    applied: list[dict] = []
    deleted: list[dict] = []
    for action in flat_actions(step.actions, cluster):
        try:
            if isinstance(action, m.Apply | m.Create):
                applied += _would_apply(objects, action, diffs)
            elif isinstance(action, m.DeleteManifest | m.DeleteObject):
                deleted += _would_delete(objects, action, diffs)
        except ClusterError as exc:
            raise failed(action, exc) from None
    touched = {_key(o) for o in (*applied, *deleted)}
    after = overlay(live, applied, deleted)
    findings = tuple(f for f in analyze(after) if (f.kind, f.namespace, f.name) in touched)
    return DiffResult(tuple(diffs), findings)


def _key(obj: dict) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return obj.get("kind", ""), meta.get("namespace") or "", meta.get("name", "")


def _would_apply(
    objects: Objects, action: m.Apply | m.Create, diffs: list[ObjectDiff]
) -> list[dict]:
    sent = bodies(action.manifest, action.namespace)
    results = objects.apply(sent, dry_run=True)
    for body, result in zip(sent, results, strict=True):
        diffs.append(diff_object(result.before, result.after, body))
    return [r.after for r in results]


def _would_delete(
    objects: Objects, action: m.DeleteManifest | m.DeleteObject, diffs: list[ObjectDiff]
) -> list[dict]:
    if isinstance(action, m.DeleteManifest):
        targets = bodies(action.manifest, action.namespace)
    else:
        targets = [ref_body(action.target)]
    gone = []
    for body in targets:
        meta = body["metadata"]
        live = objects.get(body["apiVersion"], body["kind"], meta["name"], meta.get("namespace"))
        if live is not None:
            diffs.append(diff_object(live, None))
            gone.append(live)
    return gone
