"""`istiotui lab list|show`: the lab's outline and one step, as plain text for 80 columns."""

from __future__ import annotations

import argparse
import difflib
import logging
import re
import sys
import textwrap
from typing import Any, TextIO

from istiotui.cli import exit_codes
from istiotui.cli.completers import complete_step_ids
from istiotui.cli.flags import add_lang_flag, takes
from istiotui.cli.output import add_output_flag, emit, wants_data
from istiotui.lab.describe import action_details, action_line, expectation_line, probe_line
from istiotui.lab.i18n import choose_lang
from istiotui.lab.loader import LoaderError, load_lab
from istiotui.lab.model import Action, Lab, Lang, Step
from istiotui.lab.paths import scenarios_dir
from istiotui.lab.words import word

log = logging.getLogger(__name__)

WIDTH = 80
INDENT = "  "


def register(sub: Any) -> None:
    parser = sub.add_parser("lab", help="show the lab: its outline and its steps")
    lab_sub = parser.add_subparsers(dest="lab_command", metavar="ACTION", required=True)

    list_parser = lab_sub.add_parser("list", help="the outline: sections and their steps")
    _add_lang(list_parser)
    list_parser.set_defaults(func=run_list)

    show_parser = lab_sub.add_parser("show", help="one step: text, commands, actions, checks")
    step_arg = show_parser.add_argument(
        "step_id", metavar="STEP", help="the step's id (see `istiotui lab list`)"
    )
    step_arg.completer = complete_step_ids  # type: ignore[attr-defined]
    _add_lang(show_parser)
    show_parser.set_defaults(func=run_show)


def _add_lang(parser: argparse.ArgumentParser) -> None:
    add_lang_flag(parser, "language of the lab's texts (default: from LC_ALL, LC_MESSAGES or LANG)")
    add_output_flag(parser)
    takes(parser, "lang")


def _load(err: TextIO) -> Lab | None:
    try:
        lab = load_lab()
    except LoaderError as exc:
        print("istiotui: the lab's files have problems:", file=err)
        print(str(exc), file=err)
        return None
    log.info("the lab: %d steps from %s", len(lab.step_ids()), scenarios_dir())
    return lab


def run_list(args: argparse.Namespace) -> int:
    lab = _load(sys.stderr)
    if lab is None:
        return exit_codes.LAB_INVALID
    lang = choose_lang(args.lang)
    if wants_data(args):
        from istiotui.cli.lab_data import outline

        emit(outline(lab, lang), args.output)
        return exit_codes.OK
    out = sys.stdout
    print(lab.title.get(lang), file=out)
    id_width = min(28, max((len(s.id) for s in lab.steps()), default=0))
    for section in lab.sections:
        print(file=out)
        print(_clip(f"{section.number:>2}. {section.title.get(lang)}"), file=out)
        for step in section.steps:
            print(_clip(f"      {step.id:<{id_width}}  {step.title.get(lang)}"), file=out)
    return exit_codes.OK


def run_show(args: argparse.Namespace) -> int:
    lab = _load(sys.stderr)
    if lab is None:
        return exit_codes.LAB_INVALID
    lang = choose_lang(args.lang)
    if not lab.has_step(args.step_id):
        print(_unknown_step(lab, args.step_id, lang), file=sys.stderr)
        return exit_codes.USAGE
    step = lab.step(args.step_id)
    if wants_data(args):
        from istiotui.cli.lab_data import step_data

        emit(step_data(lab, step, lang), args.output)
        return exit_codes.OK
    sys.stdout.write("\n".join(render_step(lab, step, lang)) + "\n")
    return exit_codes.OK


def _unknown_step(lab: Lab, wanted: str, lang: Lang) -> str:
    ids = lab.step_ids()
    near = difflib.get_close_matches(wanted, ids, n=5, cutoff=0.5)
    near += [i for i in ids if wanted and wanted in i and i not in near][: 5 - len(near)]
    message = f"istiotui lab show: {word('unknown_step', lang)} {wanted!r}"
    if near:
        message += f"; {word('did_you_mean', lang)}: " + ", ".join(near) + "?"
    return message + "\n(istiotui lab list)"


def render_step(lab: Lab, step: Step, lang: Lang) -> list[str]:
    section = lab.section_of(step.id)
    lines = [_clip(f"{step.id} — {step.title.get(lang)}")]
    lines.append("=" * min(WIDTH, len(lines[0])))
    lines.append(
        _clip(
            f"{word('section', lang)} {section.number}: {section.title.get(lang)} ({step.source})"
        )
    )
    where = word(f"where.{step.where}", lang)
    lines.append(f"{word('where', lang)}: {where} · {word('namespace', lang)} {step.namespace}")
    if step.requires:
        lines += _wrapped(f"{word('requires', lang)}: " + ", ".join(step.requires), "")
    lines.append("")
    lines += wrap_markdown(step.text.get(lang), WIDTH)
    if step.commands:
        lines += _heading(word("commands", lang))
        for command in step.commands:
            lines += wrap_command(command, WIDTH, f"{INDENT}$ ", f"{INDENT}    ")
    lines += _actions(word("applies", lang), step.actions, lang)
    lines += _actions(word("cleanup", lang), step.cleanup, lang)
    if step.probes:
        lines += _heading(word("probes", lang))
        for probe in step.probes:
            lines += _wrapped(probe_line(probe), INDENT, INDENT * 3)
    if step.expect:
        lines += _heading(word("expect", lang))
        for exp in step.expect:
            lines += _wrapped(expectation_line(exp), INDENT, INDENT * 3)
            if exp.why:
                lines += _wrapped(exp.why.get(lang), INDENT * 3)
    lines += _heading(word("expected", lang))
    lines += wrap_markdown(step.expected.get(lang), WIDTH, INDENT)
    return lines


def _heading(title: str) -> list[str]:
    return ["", title]


def _actions(title: str, actions: tuple[Action, ...], lang: Lang) -> list[str]:
    if not actions:
        return []
    lines = _heading(title)
    for action in actions:
        lines += _wrapped(action_line(action, lang), INDENT, INDENT * 3)
        for detail in action_details(action, lang):
            lines += _wrapped(detail, INDENT * 3, INDENT * 4)
    return lines


def _clip(line: str) -> str:
    return line if len(line) <= WIDTH else line[: WIDTH - 1] + "…"


def _wrapped(text: str, first: str, rest: str | None = None) -> list[str]:
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=first,
        subsequent_indent=first if rest is None else rest,
        break_on_hyphens=False,
        break_long_words=False,
    ) or [first.rstrip()]


def wrap_command(command: str, width: int, first: str, rest: str) -> list[str]:
    """A one-line shell command folded with `\\` continuations, breaking only outside quotes.

    The folded text is still the same command when pasted into bash. Commands of
    several lines (heredocs) are shown as written.
    """
    if "\n" in command.strip():
        lines = command.rstrip().splitlines()
        return [first + lines[0], *(rest[: len(first)] + line for line in lines[1:])]
    out: list[str] = []
    prefix = first
    text = command.strip()
    while len(prefix) + len(text) > width:
        cut = _last_break(text, width - len(prefix) - 2)
        if cut is None:
            break
        out.append(f"{prefix}{text[:cut]} \\")
        text = text[cut + 1 :]
        prefix = rest
    out.append(prefix + text)
    return out


def _last_break(text: str, limit: int) -> int | None:
    """The last space outside quotes at or before `limit` (the first one if none is)."""
    quote = ""
    best: int | None = None
    escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == " " and index > 0:
            if index > limit and best is not None:
                return best
            best = index
    return best if best is not None and best < len(text) - 1 else None


_LIST_ITEM = re.compile(r"(\s*)([-*+]|\d+[.)])\s+")


def wrap_markdown(text: str, width: int = WIDTH, indent: str = "") -> list[str]:
    """Markdown re-flowed to `width`: paragraphs and list items wrapped, code kept as written."""
    out: list[str] = []
    paragraph: list[str] = []
    item_prefix: str | None = None
    in_code = False

    def flush() -> None:
        nonlocal paragraph, item_prefix
        if paragraph:
            joined = " ".join(p.strip() for p in paragraph)
            if item_prefix is None:
                out.extend(_wrap_to(joined, width, indent, indent))
            else:
                hang = indent + " " * len(item_prefix)
                out.extend(_wrap_to(joined, width, indent + item_prefix, hang))
        paragraph, item_prefix = [], None

    for raw in text.splitlines():
        line = raw.rstrip()
        if line.lstrip().startswith("```"):
            flush()
            in_code = not in_code
            out.append(indent + line)
            continue
        if in_code:
            out.append(indent + line)
            continue
        if not line:
            flush()
            if out and out[-1] != "":
                out.append("")
            continue
        match = _LIST_ITEM.match(line)
        if not match and line.startswith("    ") and not paragraph:
            out.append(indent + line)  # an indented code block
        elif match:
            flush()
            item_prefix = line[: match.end()]
            paragraph = [line[match.end() :]]
        else:
            paragraph.append(line)
    flush()
    while out and out[-1] == "":
        out.pop()
    return out


def _wrap_to(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text,
        width,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
        break_long_words=False,
    ) or [first.rstrip()]
