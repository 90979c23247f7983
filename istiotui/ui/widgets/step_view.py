"""A step as the learner reads it: title, text, the commands, what it does, what to expect."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding
from textual.widgets import Markdown

from istiotui.lab import model as m
from istiotui.lab.describe import action_line, expectation_line, probe_line
from istiotui.lab.words import word


def step_markdown(lab: m.Lab, step: m.Step, lang: m.Lang) -> str:
    section = lab.section_of(step.id)
    out = [
        f"# {step.title.get(lang)}",
        f"*{word('section', lang)} {section.number}: {section.title.get(lang)}* · "
        f"`{step.id}` · {word('where', lang)}: {word('where.' + step.where, lang)} · "
        f"ns `{step.namespace}`",
        "",
        step.text.get(lang).strip(),
        "",
    ]
    if step.commands:
        out += [f"## {word('commands', lang)}", "", "```bash", *step.commands, "```", ""]
        out += [f"*{word('copy_hint', lang)}*", ""]
    if step.actions:
        out += [f"## {word('applies', lang)}", ""]
        out += [f"- `{action_line(a, lang)}`" for a in step.actions]
        out.append("")
    if step.probes:
        out += [f"## {word('probes', lang)}", ""]
        out += [f"- {probe_line(p)}" for p in step.probes]
        out.append("")
    if step.expect:
        out += [f"## {word('expect', lang)}", ""]
        out += [f"- {expectation_line(e)}" for e in step.expect]
        out.append("")
    if step.expected.get(lang).strip():
        out += [f"## {word('expected', lang)}", "", step.expected.get(lang).strip(), ""]
    if step.cleanup:
        out += [f"## {word('cleanup', lang)}", ""]
        out += [f"- `{action_line(a, lang)}`" for a in step.cleanup]
    return "\n".join(out)


class StepView(Markdown, can_focus=True):
    """Focusable (`tab`) and scrolled by the keys: a long step is read to its end."""

    # The commands wrap at the panel's edge (a code block scrolls sideways by default, hiding
    # the end of a long `kubectl apply -f …` with no scroll bar): no character is lost. `Y`
    # copies them whole.
    DEFAULT_CSS = """
    StepView { padding: 0 1; overflow-y: auto; }
    StepView MarkdownFence { overflow-x: hidden; }
    StepView MarkdownFence > Label { width: 1fr; text-wrap: wrap; }
    """

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("down", "scroll_down", show=False),
        Binding("up", "scroll_up", show=False),
        Binding("pagedown", "page_down", show=False),
        Binding("pageup", "page_up", show=False),
        Binding("home", "scroll_home", show=False),
        Binding("end", "scroll_end", show=False),
    ]

    def action_cursor_down(self) -> None:  # `j`, as in the outline and the tree
        self.scroll_down()

    def action_cursor_up(self) -> None:
        self.scroll_up()

    def show(self, lab: m.Lab, step: m.Step, lang: m.Lang) -> None:
        self.update(step_markdown(lab, step, lang))
