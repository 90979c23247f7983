"""A step's commands as a shell transcript, wrapped so a wrapped line never reads as a command.

The commands are written as a terminal shows them (`console` fence, docs/tui.md): `$ ` before
each command, `> ` (the shell's own continuation prompt) before each further line the lab really
has — a heredoc's body, the line after a trailing `\\`. A line too long for the panel goes on under
its text with the prompt's columns left blank (a hanging indent): every line that starts with
neither `$` nor `>` continues the one above. The marks are only drawn: `Y` copies the lab's
commands as written.

No pygments here (the first frame's draft uses this module); the step's Markdown passes the
highlighted text in.
"""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Size
from textual.widgets import Static

PROMPT = "$ "
MORE = "> "
MARK_STYLE = "$text-muted"


def transcript(commands: tuple[str, ...] | list[str]) -> list[str]:
    """The commands as the fence holds them: `$ ` and `> ` before their lines."""
    out: list[str] = []
    for command in commands:
        first, *more = command.split("\n")
        out.append(PROMPT + first)
        out += [MORE + line for line in more]
    return out


def split_marks(code: str) -> list[tuple[str, str]]:
    """Each line of a fence as (mark, text); a line without a prompt has no mark."""
    rows = []
    for line in code.split("\n"):
        mark = line[:2] if line.startswith((PROMPT, MORE)) else ""
        rows.append((mark, line[len(mark) :]))
    return rows


def pieces(text: str, width: int) -> list[tuple[int, int]]:
    """Where a line breaks to fit `width`: at the last space that fits (the space is not shown,
    as prose wraps); in a word longer than the line, after its last `/` that fits (a path or a
    URL parts where it reads as one) unless that leaves the line half empty, else where the
    line ends."""
    width = max(1, width)
    out: list[tuple[int, int]] = []
    at = 0
    while len(text) - at > width:
        cut = text.rfind(" ", at + 1, at + width + 1)
        if cut > at:
            out.append((at, cut))
            at = cut + 1
            continue
        slash = text.rfind("/", at + 1, at + width)
        end = slash + 1 if slash + 1 - at >= width // 2 else at + width  # not a stub line
        out.append((at, end))
        at = end
    out.append((at, len(text)))
    return out


def wrapped(code: str, width: int, highlighted: Content | None = None) -> list[Content]:
    """The screen lines of a fence at `width` columns: marks drawn muted, wrapped parts
    indented under their line's text."""
    rows = split_marks(code)
    texts = (
        highlighted.split("\n", allow_blank=True)
        if highlighted is not None
        else [Content(text) for _, text in rows]
    )
    if len(texts) > len(rows) and not any(t.plain for t in texts[len(rows) :]):
        texts = texts[: len(rows)]  # the highlighter's final newline
    if len(texts) != len(rows):  # a highlighter that changed the lines: show them plain
        texts = [Content(text) for _, text in rows]
    out: list[Content] = []
    for (mark, text), content in zip(rows, texts, strict=True):
        for n, (start, end) in enumerate(pieces(text, width - len(mark))):
            lead = Content.styled(mark, MARK_STYLE) if n == 0 else Content(" " * len(mark))
            out.append(lead + content[start:end])
    return out


class CommandLines(Static):
    """A code block drawn by `wrapped` at its width, again on every resize.

    `visual` keeps the fence's text as written (the draft's tests read it)."""

    DEFAULT_CSS = "CommandLines { width: 1fr; height: auto; text-wrap: nowrap; }"

    def __init__(self, code: str, highlighted: Content | None = None, **kwargs) -> None:
        super().__init__(Content(code), **kwargs)
        self.code = code
        self.highlighted = highlighted
        # The layout asks for the height, then the render for the lines, at one width: wrap once.
        self._wrapped: tuple[int, list[Content]] | None = None

    def set_code(self, code: str, highlighted: Content | None = None) -> None:
        self.code, self.highlighted, self._wrapped = code, highlighted, None
        self.update(Content(code))  # refreshes the layout: the height may change

    def lines(self, width: int) -> list[Content]:
        if self._wrapped is None or self._wrapped[0] != width:
            self._wrapped = (width, wrapped(self.code, width, self.highlighted))
        return self._wrapped[1]

    def render(self) -> Content:
        return Content("\n").join(self.lines(self.content_size.width))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))
