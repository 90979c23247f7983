"""The step's commands in Textual's Markdown: a `console` fence drawn by `CommandLines`.

Loaded with the Markdown, after the first frame (it imports Textual's Markdown and, through the
highlighter, pygments)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownBlock, MarkdownFence

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

    def _commands(self) -> Content:
        code = "\n".join(text for _, text in split_marks(self.code))
        return self.highlight(
            code, "bash", ansi=self.app.native_ansi_color, dark=self.app.current_theme.dark
        )

    def set_content(self, content: Content) -> None:
        if self.lexer != CONSOLE:
            super().set_content(content)
            return
        self._content = content
        self._show()

    def _show(self) -> None:
        for lines in self.query(CommandLines):
            lines.set_code(self.code, self._commands())

    def compose(self) -> ComposeResult:
        if self.lexer != CONSOLE:
            yield from super().compose()
            return
        yield CommandLines(self.code, self._commands(), id="code-content")


class StepMarkdown(Markdown):
    """Textual's Markdown with the step's commands drawn by `CommandFence`."""

    def get_block_class(self, block_name: str) -> type[MarkdownBlock]:
        if block_name == "fence":
            return CommandFence
        return super().get_block_class(block_name)
