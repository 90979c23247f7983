"""The lab's sections and steps, each step with its state mark (○ ● ✔ ✗)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from istiotui.cluster.kind import ClusterKind
from istiotui.lab import model as m
from istiotui.lab.walk import runs_on
from istiotui.ui.learner_progress import Progress

# Labels are Text, never markup: a title is shown as written (a `[` in it is no tag), and the
# first frame does not load rich's markup and emoji tables for them.


def step_label(step: m.Step, progress: Progress, lang: m.Lang, cluster: ClusterKind | None) -> Text:
    label = f"{progress.state(step.id).mark} {step.title.get(lang)}"
    if cluster and not runs_on(step, cluster):
        return Text(label, style="dim")  # cannot run on this kind of cluster
    return Text(label)


class Outline(Tree[str]):
    """Node data: a step id (steps) or None (sections).

    Built once; later calls only relabel, so the learner's cursor and open sections stay put
    while verdicts and applies change the marks.
    """

    DEFAULT_CSS = "Outline { scrollbar-size-vertical: 1; }"

    def __init__(self, lab: m.Lab, **kwargs) -> None:
        super().__init__(Text("lab"), **kwargs)
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
        else:
            for step in self.lab.steps():
                self._leaves[step.id].set_label(step_label(step, progress, lang, cluster))
        if current != self._current:
            self._current = current
            leaf = self._leaves[current]
            if leaf.parent is not None:
                leaf.parent.expand()
            self.cursor_line = self._line_of(leaf)  # in the next frame, the first one too
            self.call_after_refresh(self.move_cursor, leaf)  # and scrolled to, once laid out

    def _line_of(self, leaf: TreeNode[str]) -> int:
        """The leaf's line as the tree will draw it (the tree counts its lines when drawn)."""
        line = 0
        for section in self.root.children:
            if section is leaf.parent:
                return line + 1 + list(section.children).index(leaf)
            line += 1 + (len(section.children) if section.is_expanded else 0)
        return line

    def _add_sections(self, progress: Progress, lang: m.Lang, cluster: ClusterKind | None) -> None:
        for section in self.lab.sections:
            node = self.root.add(Text(f"{section.number}. {section.title.get(lang)}"), expand=False)
            for step in section.steps:
                label = step_label(step, progress, lang, cluster)
                self._leaves[step.id] = node.add_leaf(label, data=step.id)
        self.root.expand()
