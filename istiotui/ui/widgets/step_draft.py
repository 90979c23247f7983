"""A step's text drawn without Textual's Markdown: what the first frame shows.

Textual's Markdown costs ≈ 30 ms to import (markdown-it, pygments) and more than that to build
and lay out its blocks, all before the first frame. This draws the same text from a few plain
`Static`s — the title, the prose, each code block — styled like the Markdown's blocks (theme
colours, margins); `StepView` puts the Markdown in its place once the screen has been drawn. It
reads what `step_markdown` writes and the lab's texts use: headings, paragraphs, `-`/`1.` lists,
fenced code, `code`, *em*, **strong** and [links](…); anything else shows as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from textual.content import Content
from textual.widgets import Static

from istiotui.ui.widgets.command_lines import CommandLines

CODE = "$text-warning 95% on $warning 10%"  # the Markdown's inline code (dark themes)
BULLET = "$text-primary"
HEADING = {
    2: "$markdown-h2-color $markdown-h2-text-style",
    3: "$markdown-h3-color $markdown-h3-text-style",
}
_INLINE = re.compile(
    r"`(?P<code>[^`]+)`|\*\*(?P<strong>.+?)\*\*|(?<![\w*])[*_](?P<em>[^*_\s][^*_]*?)[*_](?![\w*])"
    r"|\[(?P<link>[^\]]+)\]\([^)]*\)"
)
_HEADING = re.compile(r"(#{1,6})\s+(.*)")
_ITEM = re.compile(r"(\s*)([-*+]|\d+[.)])\s+(.*)")


@dataclass
class Block:
    kind: str  # h1…h6, p, item, code
    text: str
    top: int = 0  # blank lines above and below, as the Markdown's margins (they collapse)
    bottom: int = 1
    mark: str = ""  # a list item's bullet or number


def blocks(markdown: str) -> Iterator[Block]:
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            end = i + 1
            while end < len(lines) and not lines[end].lstrip().startswith("```"):
                end += 1
            yield Block("code", "\n".join(lines[i + 1 : end]), 1, 1)
            i = end + 1
        elif not line.strip():
            i += 1
        elif heading := _HEADING.fullmatch(line):
            level = len(heading.group(1))
            yield Block(f"h{level}", heading.group(2), 2 if level <= 2 else 1, 1)
            i += 1
        elif item := _ITEM.fullmatch(line):
            indent, mark, text = item.groups()
            i += 1
            while i < len(lines) and lines[i].startswith(" ") and lines[i].strip():
                text += " " + lines[i].strip()  # the item's own continuation lines
                i += 1
            last = i >= len(lines) or not _ITEM.fullmatch(lines[i])
            bullet = "•" if mark in "-*+" else mark
            yield Block("item", text, 0, 1 if last else 0, f"{indent}{bullet} ")
        else:
            text = line.strip()
            i += 1
            while i < len(lines) and lines[i].strip() and not _starts_block(lines[i]):
                text += " " + lines[i].strip()
                i += 1
            yield Block("p", text, 0, 1)


def _starts_block(line: str) -> bool:
    return bool(
        line.lstrip().startswith("```") or _HEADING.fullmatch(line) or _ITEM.fullmatch(line)
    )


def inline(text: str, style: str = "") -> Content:
    """`code`, *em*, **strong** and links' words, as the Markdown styles them."""
    parts: list[tuple[str, str] | Content] = []
    at = 0
    for found in _INLINE.finditer(text):
        parts.append((text[at : found.start()], style))
        if found["code"] is not None:
            parts.append((found["code"], f"{style} {CODE}".strip()))
        elif found["strong"] is not None:
            parts.append(inline(found["strong"], f"{style} bold".strip()))
        elif found["em"] is not None:
            parts.append(inline(found["em"], f"{style} italic".strip()))
        else:
            parts.append((found["link"], f"{style} underline".strip()))
        at = found.end()
    parts.append((text[at:], style))
    return Content.assemble(*parts)


def draft(markdown: str) -> list[Static]:
    """The widgets that stand for the Markdown: a title, prose runs, code blocks."""
    out: list[Static] = []
    prose: list[Content] = []
    gap = 1  # the blank lines owed before the next block (margins collapse: the larger wins)

    def end_prose() -> None:
        if prose:
            out.append(Static(Content("\n").join(prose), classes="draft"))
            prose.clear()

    for block in blocks(markdown):
        if block.kind == "h1":
            end_prose()
            out.append(Static(inline(block.text), classes="draft draft-h1"))
        elif block.kind == "code":
            end_prose()
            out.append(CommandLines(block.text, classes="draft draft-code"))
        else:
            # Inside a run of prose the margins are blank lines; the title and the code blocks
            # bring their own (CSS), so a run starts with only what exceeds theirs.
            blank = max(gap, block.top) if prose else max(0, block.top - gap)
            prose.extend([Content("")] * blank)
            style = HEADING.get(int(block.kind[1]), "bold") if block.kind[0] == "h" else ""
            prose.append(Content.assemble((block.mark, BULLET), inline(block.text, style)))
        gap = block.bottom
    end_prose()
    return out
