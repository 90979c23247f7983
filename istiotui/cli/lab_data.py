"""`istiotui lab list|show -o json|yaml`: the lab's outline and one step as data.

The same facts the text shows (docs/cli-output.md has the schema); the lines a learner reads are
kept as `line`, next to the fields a script would pick apart.
"""

from __future__ import annotations

from typing import Any

from istiotui.cli.output import document
from istiotui.lab.describe import action_details, action_line, expectation_line, probe_line
from istiotui.lab.model import Action, Lab, Lang, Step


def outline(lab: Lab, lang: Lang) -> dict[str, Any]:
    return document(
        title=lab.title.get(lang),
        lang=lang,
        sections=[
            {
                "id": section.id,
                "number": section.number,
                "title": section.title.get(lang),
                "steps": [_summary(step, lang) for step in section.steps],
            }
            for section in lab.sections
        ],
    )


def _summary(step: Step, lang: Lang) -> dict[str, Any]:
    return {
        "id": step.id,
        "title": step.title.get(lang),
        "where": step.where,
        "namespace": step.namespace,
    }


def step_data(lab: Lab, step: Step, lang: Lang) -> dict[str, Any]:
    section = lab.section_of(step.id)
    return document(
        **_summary(step, lang),
        lang=lang,
        section={"id": section.id, "number": section.number, "title": section.title.get(lang)},
        source=str(step.source),
        requires=list(step.requires),
        text=step.text.get(lang),
        commands=list(step.commands),
        actions=[_action(a, lang) for a in step.actions],
        cleanup=[_action(a, lang) for a in step.cleanup],
        probes=[
            {
                "id": p.id,
                "vantage": p.vantage,
                "url": p.url,
                "count": p.count,
                "concurrency": p.concurrency,
                "classify": p.classify,
                "line": probe_line(p),
            }
            for p in step.probes
        ],
        expect=[
            {
                "kind": e.kind,
                "probe": e.probe,
                "line": expectation_line(e),
                "why": e.why.get(lang) if e.why else None,
            }
            for e in step.expect
        ],
        expected=step.expected.get(lang),
    )


def _action(action: Action, lang: Lang) -> dict[str, Any]:
    return {
        "verb": action.verb,
        "line": action_line(action, lang),
        "details": action_details(action, lang),
        "source": str(action.source),
    }
