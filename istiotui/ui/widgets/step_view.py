"""A step as the learner reads it: title, text, the commands, what it does, what to expect."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget

from istiotui.lab import model as m
from istiotui.lab.describe import action_line, expectation_line, probe_line
from istiotui.lab.words import word
from istiotui.ui.widgets.command_lines import transcript
from istiotui.ui.widgets.deferred import drawn, mark_drawn
from istiotui.ui.widgets.step_draft import draft


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
        # A transcript (`$ `, `> `): wrapped lines can't pass for commands (command_lines.py).
        out += [f"## {word('commands', lang)}", "", "```console", *transcript(step.commands)]
        out += ["```", ""]
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


class StepView(Widget, can_focus=True):
    """Focusable (`tab`) and scrolled by the keys: a long step is read to its end.

    Holds Textual's Markdown of the step; in a screen's first frame, a light draft of the same
    text (`step_draft.py`) stands in for it until the screen has been drawn."""

    # The commands wrap at the panel's edge (a code block scrolls sideways by default, hiding
    # the end of a long `kubectl apply -f …` with no scroll bar): no character is lost, and the
    # wrapped part hangs under the command's text (command_lines.py). `Y` copies them whole.
    DEFAULT_CSS = """
    StepView { layout: vertical; padding: 0 1; overflow-y: auto; }
    StepView > Markdown { padding: 0; }
    StepView MarkdownFence { overflow-x: hidden; }
    StepView MarkdownFence > Label { width: 1fr; text-wrap: wrap; }
    StepView > .draft-h1 {
        margin: 2 0 1 0;
        text-align: center;
        color: $markdown-h1-color;
        text-style: $markdown-h1-text-style;
    }
    StepView > .draft-code {
        margin: 1 0;
        padding: 1 2;
        color: rgb(210,210,210);
        background: black 10%;
    }
    StepView > .draft-code:light { background: white 30%; }
    """

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("down", "scroll_down", show=False),
        Binding("up", "scroll_up", show=False),
        Binding("pagedown", "page_down", show=False),
        Binding("pageup", "page_up", show=False),
        Binding("home", "scroll_home", show=False),
        Binding("end", "scroll_end", show=False),
    ]

    def __init__(self, source: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.source = source  # the step's Markdown, as shown (or about to be)

    @property
    def drafted(self) -> bool:
        """The draft still stands for the Markdown (tests wait on this, not on time)."""
        return bool(self.query(".draft"))

    def compose(self) -> ComposeResult:
        if drawn(self.screen):
            yield self._markdown(self.source)
        else:
            yield from draft(self.source)

    def on_mount(self) -> None:
        if not drawn(self.screen):
            self.call_after_refresh(self._swap)

    @staticmethod
    def _markdown(source: str | None) -> Widget:
        # markdown-it and pygments: after the first frame
        from istiotui.ui.widgets.command_fence import StepMarkdown

        return StepMarkdown(source)

    async def _swap(self) -> None:
        """The Markdown in the draft's place, once it has built its blocks (no blank frame)."""
        if not self.is_attached:
            return
        mark_drawn(self.screen)
        markdown = self._markdown(None)
        markdown.display = False
        await self.mount(markdown)
        await markdown.update(self.source)
        if self.is_attached:
            with self.app.batch_update():
                await self.query(".draft").remove()
                markdown.display = True

    def action_cursor_down(self) -> None:  # `j`, as in the outline and the tree
        self.scroll_down()

    def action_cursor_up(self) -> None:
        self.scroll_up()

    def update(self, source: str) -> None:
        self.source = source
        for markdown in self.query("Markdown"):
            markdown.update(source)
            return
        self.query(".draft").remove()  # still the draft: drawn again
        self.mount_all(draft(source))

    def show(self, lab: m.Lab, step: m.Step, lang: m.Lang) -> None:
        self.update(step_markdown(lab, step, lang))
