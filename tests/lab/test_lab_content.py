"""The real lab: every scenario file loads, every manifest is a set of named objects."""

from __future__ import annotations

from pathlib import Path

import pytest

from istiotui.cli.main import main
from istiotui.lab.loader import load_lab
from istiotui.lab.manifests import read_objects
from istiotui.lab.paths import istio_manifests_dir, scenarios_dir

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
MANIFESTS = sorted(
    [*(SCENARIOS / "manifests").rglob("*.yaml"), *(REPO / "istio-manifests").rglob("*.yaml")]
)


def test_paths_find_the_repository_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ISTIOTUI_SCENARIOS", raising=False)
    monkeypatch.delenv("ISTIOTUI_ISTIO_MANIFESTS", raising=False)
    assert scenarios_dir() == SCENARIOS
    assert istio_manifests_dir() == REPO / "istio-manifests"


def test_real_lab_loads() -> None:
    lab = load_lab(SCENARIOS)
    assert lab.sections
    numbers = [s.number for s in lab.sections]
    assert numbers == sorted(numbers)
    for step in lab.steps():
        assert step.title.es and step.title.en and step.expected.es and step.expected.en


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(REPO)))
def test_manifest_names_its_objects(path: Path) -> None:
    objects, problems = read_objects(path, str(path.relative_to(REPO)))
    assert problems == []
    assert objects
    for obj in objects:
        assert obj.api_version and obj.kind and obj.name


@pytest.mark.parametrize("lang", ["es", "en"])
def test_real_lab_outline_shows_every_section(
    lang: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ISTIOTUI_SCENARIOS", str(SCENARIOS))
    assert main(["lab", "list", "--lang", lang]) == 0
    out = capsys.readouterr().out.splitlines()
    lab = load_lab(SCENARIOS)
    for section in lab.sections:
        heading = f"{section.number:>2}. {section.title.get(lang)}"
        assert any(line.startswith(heading[:79]) for line in out), heading
        for step in section.steps:
            assert any(line.lstrip().startswith(step.id) for line in out), step.id
    assert all(len(line) <= 80 for line in out)


def test_every_expectation_of_the_real_lab_is_described() -> None:
    """`lab show`, the step text and the traffic panel write each expectation as one line; a
    kind without one ended the TUI on the step that had it (proxy stats, the traffic graph)."""
    from istiotui.lab.describe import expectation_line

    lab = load_lab(SCENARIOS)
    kinds = set()
    for step in lab.steps():
        for exp in step.expect:
            line = expectation_line(exp)
            assert line.startswith(f"{exp.probe}: ") and len(line) > len(exp.probe) + 2
            kinds.add(exp.kind)
    assert {"stat", "graph"} <= kinds
