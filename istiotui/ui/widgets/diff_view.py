"""What a step would change, coloured like `kubectl diff`, with the analysis' findings after it."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from istiotui.lab.model import Lang
from istiotui.lab.words import word as t
from istiotui.mesh.analysis import Finding, Severity
from istiotui.mesh.diff import ObjectDiff

_SIGN_STYLE = {"+": "green", "-": "red", "@": "cyan", " ": ""}
_CHANGE = {"create": "+ new", "update": "~ changed", "delete": "- removed", "unchanged": "= same"}
_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "blue"}


def render_diff(
    diffs: Sequence[ObjectDiff] | None,
    findings: Sequence[Finding],
    error: str | None,
    lang: Lang,
    step_id: str | None = None,
) -> Text:
    out = Text()
    if error:
        out.append(f"✗ {t('apply_rejected', lang)}\n", "bold red")
        out.append(error + "\n\n", "red")
    if diffs is None:
        out.append(t("no_diff", lang), "dim")
        return out
    if step_id:
        out.append(f"{step_id}\n", "bold")
    if not diffs:
        out.append(t("nothing_changes", lang) + "\n", "dim")
    for diff in diffs:
        out.append(f"{_CHANGE[diff.change]}  {diff.ref}\n", "bold")
        for line in diff.lines:
            if line.sign == "@":
                out.append(line.text + "\n", "cyan")
            else:
                out.append(f"{line.sign} {line.text}\n", _SIGN_STYLE[line.sign])
        out.append("\n")
    out.append(f"{t('findings', lang)}\n", "bold underline")
    if not findings:
        out.append(t("no_findings", lang) + "\n", "dim")
    for f in findings:
        out.append(f"{f.severity.label.upper()} {f.code} ", _SEVERITY_STYLE[f.severity])
        out.append(f"{f.where()}\n  {f.message(lang)}\n")
    return out


class DiffView(VerticalScroll):
    DEFAULT_CSS = "DiffView { padding: 0 1; } DiffView > Static { width: 1fr; }"

    def compose(self):
        yield Static(id="diff-text")

    def show(self, text: Text) -> None:
        self.query_one("#diff-text", Static).update(text)
