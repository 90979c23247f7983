"""Catching a cluster up to a step: the cluster is the truth, the lab's earlier steps the plan.

Before an earlier step's action runs, what it would touch is read and compared
(lab/effects.py): what is already there is kept and said, only the rest is done. A learner who
did the first sections by hand (Istio installed with istioctl, namespaces labelled, Bookinfo
deployed, all-v1 applied) gets every one of those steps reported as already done, and istioctl
is only looked for when an install is missing. Progress files play no part: they record what
the learner did in istiotui, never what the cluster holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import yaml

from istiotui.cluster.errors import ClusterError
from istiotui.cluster.objects import Objects, ref
from istiotui.lab import effects, istioctl
from istiotui.lab import model as m
from istiotui.lab.effects import Outcome, StepCatchUp
from istiotui.lab.executor import Executor, described
from istiotui.lab.plan import StepFailed, bodies, failed, flat_actions, ref_body
from istiotui.lab.walk import catch_up
from istiotui.mesh.kinds import lookup

Progress = Callable[[str], None]
# Where istiod reads its mesh config (the default revision's).
MESH_CONFIG = {"name": "istio", "namespace": "istio-system"}


class CatchUp:
    """Carries out earlier steps against what the cluster already holds."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.objects: Objects = executor.objects

    def to(self, lab: m.Lab, step_id: str, skip: Iterable[str] = ()) -> list[StepCatchUp]:
        """Every step before `step_id` (those in `skip` left out: done in this run already)."""
        done = set(skip)
        out = []
        for earlier in catch_up(lab, step_id, self.executor.cluster):
            if earlier.id in done:
                continue
            out.append(self.step(earlier))
        return out

    def step(self, step: m.Step) -> StepCatchUp:
        """One earlier step: `— STEP`, a line per action (what was there, what was done), then
        `= STEP: already done | completed | done now | by hand | nothing to do`."""
        say = self.executor.progress
        say(f"— {step.id}")
        outcomes: list[Outcome] = []
        for action in flat_actions(step.actions, self.executor.cluster):
            if self.executor.cancelled.is_set():
                raise StepFailed("cancelled")
            wrote = any(o.made for o in outcomes)
            try:
                outcome = self._one(step, action, wrote)
            except ClusterError as exc:
                raise failed(action, exc) from None
            outcomes.append(outcome)
            if outcome.state != "by hand":  # the executor has said those in its own words
                say(f"  {outcome.line()}")
        result = StepCatchUp(step, tuple(outcomes))
        say(f"= {result.line()}")
        return result

    def _one(self, step: m.Step, action: m.Action, wrote: bool) -> Outcome:
        run = self.executor.run
        match action:
            case m.Apply() | m.Create():
                return self._apply(action)
            case m.Label(target=target, labels=labels):
                live = self.objects.get(*_ident(target))
                rest = effects.labels_to_set(live, labels) if live is not None else labels
                there = {k: v for k, v in labels.items() if k not in rest}
                named = f"{target.kind} {target.name}"
                kept = (f"{named} {_labels(there)}",) if there else ()
                if not rest:
                    return Outcome(action, kept=kept)
                run([m.Label(target, rest, action.source)], step.id)
                return Outcome(action, kept=kept, made=(f"{named} {_labels(rest)}",))
            case m.Patch(target=target, patch=patch):
                live = self.objects.get(*_ident(target))
                shown = (f"{target.kind} {target.name}",)
                if live is not None and effects.conforms(live, patch):
                    return Outcome(action, kept=shown)
                run([action], step.id)
                return Outcome(action, made=shown)
            case m.DeleteManifest() | m.DeleteObject():
                return self._delete(action)
            case m.RolloutRestart(target=target):
                note = f"{target.kind} {target.name}: a remedy, not replayed on catch-up"
                return Outcome(action, note=note)
            case m.Wait():
                return self._wait(step, action, wrote)
            case m.Istioctl():
                return self._istioctl(step, action)
            case m.Host() | m.Manual():
                run([action], step.id)
                return Outcome(action, manual=True)
        raise TypeError(f"unknown action {action!r}")

    def _apply(self, action: m.Apply | m.Create) -> Outcome:
        sent = bodies(action.manifest, action.namespace)
        planned = self.objects.apply(sent, dry_run=True)
        kept, missing, shown = [], [], []
        for body, result in zip(sent, planned, strict=True):
            state = effects.applied_state(body, result.before, result.after)
            if state == "there":
                kept.append(ref(body))
            else:
                missing.append(body)
                shown.append(ref(body) + (" (differed)" if state == "differs" else ""))
        if missing:
            if isinstance(action, m.Create):
                self.objects.create(missing)
            else:
                self.objects.apply(missing)
        return Outcome(action, kept=_short(kept), made=tuple(shown))

    def _delete(self, action: m.DeleteManifest | m.DeleteObject) -> Outcome:
        if isinstance(action, m.DeleteManifest):
            targets = bodies(action.manifest, action.namespace)
        else:
            targets = [ref_body(action.target)]
        gone, deleted = [], []
        for body in targets:
            meta = body["metadata"]
            name, namespace = meta["name"], meta.get("namespace")
            live = self.objects.get(body["apiVersion"], body["kind"], name, namespace)
            if live is None:
                gone.append(f"{ref(body)} gone")
            else:
                self.objects.delete(body, ignore_not_found=True)
                deleted.append(f"{ref(body)} deleted")
        return Outcome(action, kept=_short(gone), made=tuple(deleted))

    def _wait(self, step: m.Step, action: m.Wait, wrote: bool) -> Outcome:
        kind = lookup(action.kind)
        if kind is None:
            raise StepFailed(f"{action.source}: unknown kind {action.kind!r}")
        items = self.objects.list(kind.api_version, kind.kind, action.namespace, action.selector)
        if action.name:
            items = [i for i in items if i["metadata"]["name"] == action.name]
        what = f"{kind.kind} {action.name or action.selector or '*'} in {action.namespace}"
        if action.until != "deleted" and not effects.wait_needed(len(items), wrote):
            # Nothing made it and nothing is there: the step was the learner's to do by hand.
            return Outcome(action, note=f"no {what}: nothing to wait for")
        # Quietly: the outcome's line says it.
        quiet = Executor(self.objects, self.executor.cluster, _silent, self.executor.cancelled)
        quiet.run([action], step.id)
        return Outcome(action, kept=(f"{what} {action.until}",))

    def _istioctl(self, step: m.Step, action: m.Istioctl) -> Outcome:
        found = self.executor.installed(action)
        if found == []:
            return Outcome(action, note=f"istioctl {' '.join(action.args)} changes nothing")
        if found is not None and all(live is not None for _, live in found):
            return Outcome(action, kept=(described(found),), made=self._mesh_config(action))
        absent = [c for c, live in found or [] if live is None]
        present = [(c, live) for c, live in found or [] if live is not None]
        self.executor.istioctl(action, step.id, absent)
        made = tuple(str(c) for c in absent) or (f"istioctl {' '.join(action.args)}",)
        return Outcome(action, kept=(described(present),) if present else (), made=made)

    def _mesh_config(self, action: m.Istioctl) -> tuple[str, ...]:
        """The install's `--set meshConfig.…` (access logs, for the lab) that an installed Istio
        lacks, written into the mesh config istiod watches (the `istio` ConfigMap): without
        them the steps that count access-log lines fail, and reinstalling just for them would
        prune the gateways a nameless install does not render."""
        settings = istioctl.mesh_settings(action.args)
        if not settings:
            return ()
        ref_ = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": dict(MESH_CONFIG)}
        live = self.objects.get("v1", "ConfigMap", MESH_CONFIG["name"], MESH_CONFIG["namespace"])
        if live is None:
            return ()  # an Istio that keeps its mesh config elsewhere: nothing to compare
        try:
            mesh = yaml.safe_load((live.get("data") or {}).get("mesh") or "") or {}
        except yaml.YAMLError:
            return ()
        if not isinstance(mesh, dict):
            return ()
        rest = istioctl.mesh_to_set(settings, mesh)
        if not rest:
            return ()
        text = yaml.safe_dump(istioctl.with_settings(mesh, rest), sort_keys=False)
        self.objects.patch(ref_, {"data": {"mesh": text}})
        where = f"ConfigMap {MESH_CONFIG['namespace']}/{MESH_CONFIG['name']}"
        return tuple(f"meshConfig.{k}={v} in {where}" for k, v in rest.items())


def _silent(_line: str) -> None:
    pass


def _ident(target: m.ObjectRef) -> tuple[str, str, str, str | None]:
    body = ref_body(target)
    return body["apiVersion"], body["kind"], target.name, body["metadata"].get("namespace")


def _labels(labels: dict[str, str | None]) -> str:
    return ",".join(f"{k}={v}" if v is not None else f"{k}-" for k, v in labels.items())


def _short(refs: list[str], most: int = 4) -> tuple[str, ...]:
    """A manifest of fourteen objects reads as four and a count."""
    if len(refs) <= most:
        return tuple(refs)
    return (*refs[:most], f"{len(refs) - most} more")
