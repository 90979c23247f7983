"""The lab's sections and steps, each step with its state mark (○ ● ✔ ✗)."""

from __future__ import annotations

from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from istiotui.cluster.kind import ClusterKind
from istiotui.lab import model as m
from istiotui.lab.walk import runs_on
from istiotui.ui.learner_progress import Progress


def step_label(step: m.Step, progress: Progress, lang: m.Lang, cluster: ClusterKind | None) -> str:
    label = f"{progress.state(step.id).mark} {step.title.get(lang)}"
    if cluster and not runs_on(step, cluster):
        return f"[dim]{label}[/]"  # cannot run on this kind of cluster
    return label


class Outline(Tree[str]):
    """Node data: a step id (steps) or None (sections).

    Built once; later calls only relabel, so the learner's cursor and open sections stay put
    while verdicts and applies change the marks.
    """

    DEFAULT_CSS = "Outline { scrollbar-size-vertical: 1; }"

    def __init__(self, lab: m.Lab, **kwargs) -> None:
        super().__init__("lab", **kwargs)
        self.lab = lab
        self.show_root = False
        self.guide_depth = 2
        self._leaves: dict[str, TreeNode[str]] = {}
        self._current: str | None = None

    def show(
        self, progress: Progress, lang: m.Lang, cluster: ClusterKind | None, current: str
    ) -> None:
        if not self._leaves:
            self._add_sections(progress, lang, cluster)
        for step in self.lab.steps():
            self._leaves[step.id].set_label(step_label(step, progress, lang, cluster))
        if current != self._current:
            self._current = current
            leaf = self._leaves[current]
            if leaf.parent is not None:
                leaf.parent.expand()
            self.call_after_refresh(self.move_cursor, leaf)

    def _add_sections(self, progress: Progress, lang: m.Lang, cluster: ClusterKind | None) -> None:
        for section in self.lab.sections:
            node = self.root.add(f"{section.number}. {section.title.get(lang)}", expand=False)
            for step in section.steps:
                label = step_label(step, progress, lang, cluster)
                self._leaves[step.id] = node.add_leaf(label, data=step.id)
        self.root.expand()
