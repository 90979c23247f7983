"""The step's first-frame draft: every word of every step, in order, styled like the Markdown."""

from __future__ import annotations

import re

import pytest

from istiotui.lab import model as m
from istiotui.ui.widgets.step_draft import CODE, blocks, draft, inline
from istiotui.ui.widgets.step_view import step_markdown

WORD = re.compile(r"[^\W_]+")  # letters and digits: Markdown's own marks are never words
FENCE = re.compile(r"^```.*$", re.MULTILINE)


def shown(markdown: str) -> str:
    return "\n".join(str(widget.visual) for widget in draft(markdown))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_draft_shows_every_word_of_every_step(lab: m.Lab, lang: m.Lang) -> None:
    for step in lab.steps():
        markdown = step_markdown(lab, step, lang)
        # A fence's language (`bash`) is not shown; code and emphasis marks join what they touch.
        source = FENCE.sub("", markdown).replace("`", "").replace("*", "")
        assert WORD.findall(shown(markdown)) == WORD.findall(source), step.id


def test_blocks_and_their_margins() -> None:
    markdown = (
        "# Title\n*where* · `id`\n\nText on\ntwo lines.\n\n## Commands\n\n"
        "```bash\nkubectl get pods\n```\n\n- one\n- two\n"
    )
    got = [(b.kind, b.text, b.top, b.bottom, b.mark) for b in blocks(markdown)]
    assert got == [
        ("h1", "Title", 2, 1, ""),
        ("p", "*where* · `id`", 0, 1, ""),
        ("p", "Text on two lines.", 0, 1, ""),  # soft breaks join, as in Markdown
        ("h2", "Commands", 2, 1, ""),
        ("code", "kubectl get pods", 1, 1, ""),
        ("item", "one", 0, 0, "• "),
        ("item", "two", 0, 1, "• "),  # the list's margin after its last item
    ]
    widgets = draft(markdown)
    assert [w.classes for w in widgets] == [
        {"draft", "draft-h1"},
        {"draft"},
        {"draft", "draft-code"},
        {"draft"},
    ]
    # Two blank lines before the heading (its margin), one after it; none above the first
    # paragraph (the title's margin is the widget's).
    assert str(widgets[1].visual).split("\n") == [
        "where · id",
        "",
        "Text on two lines.",
        "",
        "",
        "Commands",
    ]


def test_inline_styles_nest() -> None:
    content = inline("*`Y` copies* and **bold** and [a link](https://example.com)")
    assert content.plain == "Y copies and bold and a link"
    styles = {content.plain[s.start : s.end]: str(s.style) for s in content.spans}
    assert CODE in styles["Y"] and "italic" in styles["Y"]
    assert styles["bold"] == "bold" and styles["a link"] == "underline"
