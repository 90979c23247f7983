"""Walking the lab: which steps apply where, and how to reach a step's starting state."""

from __future__ import annotations

from collections.abc import Iterator

from istiotui.cluster.kind import ClusterKind
from istiotui.lab import model as m


def runs_on(step: m.Step, cluster: ClusterKind) -> bool:
    """Whether a step can be carried out on this kind of cluster (`local` or `real`)."""
    return step.where == "any" or step.where == cluster


def before(lab: m.Lab, step_id: str) -> Iterator[m.Step]:
    """The steps a learner does before this one, in order."""
    for step in lab.steps():
        if step.id == step_id:
            return
        yield step


def catch_up(lab: m.Lab, step_id: str, cluster: ClusterKind) -> list[m.Step]:
    """Steps whose actions, in order, bring a cluster to `step_id`'s starting state.

    Cleanups are not part of it: a step's cleanup undoes that step on request, and the lab's
    sections begin with their own clean-up steps."""
    return [s for s in before(lab, step_id) if runs_on(s, cluster)]
