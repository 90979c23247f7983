"""Each broken fixture gives exactly one problem, at the right file:line, saying what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from istiotui.lab.loader import LoaderError, load_lab

BROKEN = Path(__file__).parent / "broken"

CASES = {
    # PyYAML notices the unclosed flow mapping on the next line; the message names both.
    "bad-yaml": (8, ["invalid YAML", "flow mapping", "started at line 7"]),
    "unknown-key": (8, ["unknown key 'comands'", "did you mean 'commands'", "allowed:"]),
    "missing-translation": (6, ["title: missing 'en'"]),
    "missing-manifest": (9, ["apply", "no-such-file.yaml", "not found"]),
    "negative-count": (12, ["count", "greater than 0", "-3"]),
    "duplicate-step-id": (9, ["duplicate step id 'first'", "scenarios/01-basics.yaml:5"]),
    "unknown-probe": (15, ["no probe 'page'", "its probes: pages"]),
}


def test_every_fixture_has_a_case() -> None:
    assert sorted(p.name for p in BROKEN.iterdir() if p.is_dir()) == sorted(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_fixture_reports_one_problem_at_its_line(case: str) -> None:
    line, words = CASES[case]
    with pytest.raises(LoaderError) as caught:
        load_lab(BROKEN / case / "scenarios")
    problems = caught.value.problems
    assert len(problems) == 1, str(caught.value)
    problem = problems[0]
    assert (problem.file, problem.line) == ("scenarios/01-basics.yaml", line)
    text = str(caught.value)
    assert text.startswith(f"scenarios/01-basics.yaml:{line}: ")
    for word in words:
        assert word in problem.message
