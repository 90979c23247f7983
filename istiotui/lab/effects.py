"""Whether an action's effects are already in the cluster: pure comparisons, no I/O.

A catch-up (lab/catchup.py) reads what an action would touch and asks here what is still
missing, so that what the learner did by hand is kept and only the rest is done:

- objects a manifest applies: absent → applied; routing objects (Istio's networking kinds) are
  compared as the step's diff compares them (live against the server's dry run, mesh/diff.py),
  and applied again when they differ; other objects (namespaces, Deployments, Services…) are
  kept as they are when they exist: the learner may have deployed them from the lab's URL;
- labels and merge patches: only the labels or fields that differ are written;
- deletions: what is already gone is gone;
- a rollout restart is a remedy for pods in a bad state, not a state later steps need: it is not
  replayed;
- a wait for objects nobody made (the step is the learner's, by hand, and they skipped it)
  waits for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from istiotui.lab import model as m
from istiotui.mesh.diff import diff_object
from istiotui.mesh.kinds import for_object

# Kinds whose content is the lesson: compared field by field, not merely found.
COMPARED_GROUPS = ("networking.istio.io", "security.istio.io")

Found = Literal["there", "missing", "differs"]


def compared(body: dict) -> bool:
    kind = for_object(body)
    return kind is not None and kind.group in COMPARED_GROUPS


def applied_state(body: dict, live: dict | None, after: dict | None) -> Found:
    """One object of a manifest: `live` now, `after` the server's dry run of applying it."""
    if live is None:
        return "missing"
    if not compared(body) or after is None:
        return "there"
    return "there" if diff_object(live, after, body).change == "unchanged" else "differs"


def labels_to_set(live: dict | None, labels: dict[str, str | None]) -> dict[str, str | None]:
    """The labels whose value differs (None: to remove); empty when all are as wanted."""
    have = ((live or {}).get("metadata") or {}).get("labels") or {}
    return {k: v for k, v in labels.items() if have.get(k) != v}


def conforms(live: Any, patch: Any) -> bool:
    """Whether applying this JSON merge patch would leave `live` as it is."""
    if not isinstance(patch, dict):
        return live == patch
    if not isinstance(live, dict):
        return False
    for key, value in patch.items():
        if value is None:
            if key in live:
                return False
        elif not conforms(live.get(key), value):
            return False
    return True


def wait_needed(matching: int, wrote: bool) -> bool:
    """A wait is a check of what the step made: with nothing made and nothing there, it would
    only run out its timeout."""
    return matching > 0 or wrote


# --- what a step's catch-up found and did ------------------------------------

State = Literal["there", "done", "partly", "by hand", "skipped"]


@dataclass(frozen=True)
class Outcome:
    action: m.Action
    kept: tuple[str, ...] = ()  # what was already there (object refs, labels…)
    made: tuple[str, ...] = ()  # what the catch-up wrote
    note: str = ""  # for by-hand and skipped actions, or extra words (a version)
    manual: bool = False

    @property
    def state(self) -> State:
        if self.manual:
            return "by hand"
        if self.made and self.kept:
            return "partly"
        if self.made:
            return "done"
        if self.kept:
            return "there"
        return "skipped"

    def line(self) -> str:
        verb = self.action.verb
        if isinstance(self.action, m.Apply | m.Create | m.DeleteManifest):
            verb = f"{verb} {self.action.manifest.path}"
        parts = []
        if self.kept:
            parts.append("already there: " + ", ".join(self.kept))
        if self.made:
            parts.append("done now: " + ", ".join(self.made))
        if self.note:
            parts.append(self.note)
        return f"{verb}: " + "; ".join(parts)


Summary = Literal["already done", "completed", "done now", "by hand", "nothing to do"]


@dataclass(frozen=True)
class StepCatchUp:
    step: m.Step
    outcomes: tuple[Outcome, ...]

    @property
    def summary(self) -> Summary:
        states = {o.state for o in self.outcomes}
        found = bool(states & {"there", "partly"})
        made = bool(states & {"done", "partly"})
        if found and made:
            return "completed"  # partly there: the rest done, nothing redone
        if made:
            return "done now"
        if found:
            return "already done"
        return "by hand" if "by hand" in states else "nothing to do"

    def line(self) -> str:
        return f"{self.step.id}: {self.summary}"
