"""The step's commands in Textual's Markdown: a `console` fence drawn by `CommandLines`.

Loaded with the Markdown, after the first frame (it imports Textual's Markdown and, through the
highlighter, pygments)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownBlock, MarkdownFence

from istiotui.ui.widgets.command_lines import CommandLines, split_marks

CONSOLE = "console"  # the fence's language: a transcript, `$ ` and `> ` before its lines


class CommandFence(MarkdownFence):
    """A fence that wraps under its lines' text instead of under their prompts; the commands
    are highlighted as bash, the prompts drawn apart."""

    DEFAULT_CSS = """
    CommandFence { overflow-x: hidden; }
    CommandFence > CommandLines { padding: 1 2; }
    CommandFence:ansi > CommandLines { padding: 1 0; }
    """

    @classmethod
    def highlight(cls, code: str, language: str, ansi: bool = False, dark: bool = False) -> Content:
        # Textual highlights a fence once, when it is made (and again on a theme change): a
        # transcript is highlighted there as the bash its lines hold, without their prompts.
        if language == CONSOLE:
            code = "\n".join(text for _, text in split_marks(code))
            language = "bash"
        return super().highlight(code, language, ansi=ansi, dark=dark)

    def set_content(self, content: Content) -> None:
        if self.lexer != CONSOLE:
            super().set_content(content)
            return
        self._content = content
        for lines in self.query(CommandLines):
            lines.set_code(self.code, content)

    def compose(self) -> ComposeResult:
        if self.lexer != CONSOLE:
            yield from super().compose()
            return
        yield CommandLines(self.code, self._highlighted_code, id="code-content")


class StepMarkdown(Markdown):
    """Textual's Markdown with the step's commands drawn by `CommandFence`."""

    def get_block_class(self, block_name: str) -> type[MarkdownBlock]:
        if block_name == "fence":
            return CommandFence
        return super().get_block_class(block_name)
