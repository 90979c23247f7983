"""The loader's rules, one at a time: a small change to the good fixture, one clear problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from istiotui.lab.loader import LoaderError, load_lab

R = "02-routing.yaml"
B = "01-basics.yaml"

# (file to edit, text, replacement, reported file, line, words in the message)
CASES: dict[str, tuple[str, str, str, str, int, list[str]]] = {
    "requires-later": (
        B,
        "    commands:\n",
        "    requires: [route-v1]\n    commands:\n",
        B,
        25,
        ["requires", "'route-v1'", "scenarios/02-routing.yaml:5", "earlier steps"],
    ),
    "requires-unknown": (
        R,
        "requires: [deploy-demo]",
        "requires: [deploy-dem]",
        R,
        10,
        ["unknown step 'deploy-dem'", "did you mean 'deploy-demo'"],
    ),
    "number-vs-file-name": (R, "number: 2\n", "number: 3\n", R, 2, ["3", "file name says 02"]),
    "id-vs-file-name": (R, "id: routing\n", "id: routes\n", R, 1, ["'routes'", "'routing'"]),
    "unknown-action": (R, "- host:", "- hots:", R, 19, ["unknown action 'hots'", "apply"]),
    "unknown-classify": (
        R,
        "classify: reviews-version",
        "classify: reviews",
        R,
        35,
        ["classify", "unknown value 'reviews'", "reviews-version", "header:NAME"],
    ),
    "unknown-vantage": (
        R,
        "vantage: ingress",
        "vantage: gateway",
        R,
        25,
        ["vantage", "'gateway'", "port-forward"],
    ),
    "shares-sum": (R, "v3: 0.5}", "v3: 0.6}", R, 50, ["shares", "add up to 1.1"]),
    "share-range": (R, "v3: 0.5}", "v3: 1.5}", R, 50, ["shares.v3", "at most 1"]),
    "min-over-max": (R, "min: 5.5, max: 7.5", "min: 8.5, max: 7.5", R, 53, ["greater than max"]),
    "confidence-alone": (
        R,
        "all_of: [v1]}",
        "all_of: [v1], confidence: 0.9}",
        R,
        49,
        ["'confidence' goes with 'shares' only"],
    ),
    "two-expectations": (
        R,
        "status: 200}",
        'status: 200, text: "x"}',
        R,
        51,
        ["one expectation per item", "status and text"],
    ),
    "manifest-without-name": (
        "manifests/samples/demo/route.yaml",
        "  name: demo",
        "  nome: demo",
        "manifests/samples/demo/route.yaml",
        3,
        ["metadata.name"],
    ),
    "namespace-conflict": (
        B,
        "      - apply: samples/demo/app.yaml\n",
        "      - apply: samples/demo/app.yaml\n        namespace: demo\n",
        B,
        29,
        ["namespace 'other'", "'demo'", "scenarios/manifests/samples/demo/app.yaml:8"],
    ),
    "duplicate-key": (
        R,
        "    where: any\n",
        "    where: any\n    where: real\n",
        R,
        9,
        ["duplicate key 'where'", "line 8"],
    ),
    "text-list-lengths": (
        "lab.yaml",
        'en: ["Load", "Show"]',
        'en: ["Load"]',
        "lab.yaml",
        6,
        ["'es' has 2 items and 'en' has 1"],
    ),
    "empty-text": (
        R,
        'en: "Everything to v1."',
        'en: "  "',
        R,
        7,
        ["text.en", "must not be empty"],
    ),
    "pod-without-from": (
        R,
        "        from: {namespace: default, selector: app=curl, container: curl}\n",
        "",
        R,
        36,
        ["vantage pod needs 'from'"],
    ),
    "istioctl-local-manifest": (
        R,
        "istio-manifests/ingress.yaml",
        "istio-manifests/ingres.yaml",
        R,
        18,
        ["local[0].apply", "'istio-manifests/ingres.yaml' not found"],
    ),
    "path-escapes": (
        R,
        "apply: samples/demo/route.yaml",
        "apply: ../lab.yaml",
        R,
        12,
        ["relative path"],
    ),
    "wrong-type": (R, "count: 30", "count: lots", R, 30, ["count", "an integer", "a string"]),
    "unquoted-bool": (R, 'value: "true"', "value: true", R, 57, ["must be a string", "quote it"]),
    "missing-required": (
        R,
        '    expected: {es: "Solo v1.", en: "Only v1."}\n',
        "",
        R,
        5,
        ["missing required key 'expected'"],
    ),
    "negative-qps": (R, "qps: 0", "qps: -1", R, 32, ["qps", "at least 0"]),
    "zero-timeout": (R, "timeout: 15", "timeout: 0", R, 33, ["timeout", "greater than 0"]),
    "bad-wait-for": (B, "for: ready", "for: running", B, 31, ["for", "'running'", "available"]),
}


def _edit(scenarios: Path, name: str, old: str, new: str) -> None:
    path = scenarios / name
    text = path.read_text()
    assert text.count(old) >= 1, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule(case: str, good_copy: Path) -> None:
    edit, old, new, file, line, words = CASES[case]
    _edit(good_copy, edit, old, new)
    with pytest.raises(LoaderError) as caught:
        load_lab(good_copy)
    problems = caught.value.problems
    assert len(problems) == 1, str(caught.value)
    assert (problems[0].file, problems[0].line) == (f"scenarios/{file}", line)
    for word in words:
        assert word in problems[0].message, str(caught.value)


def test_good_copy_loads(good_copy: Path) -> None:
    assert load_lab(good_copy).step("route-v1")


def test_all_problems_of_a_file_are_collected(good_copy: Path) -> None:
    _edit(good_copy, R, "count: 30", "count: -3")
    _edit(
        good_copy, R, 'title: {es: "Todo a v1", en: "Everything to v1"}', 'title: {es: "Todo a v1"}'
    )
    _edit(good_copy, R, "    where: any\n", "    wher: any\n")
    with pytest.raises(LoaderError) as caught:
        load_lab(good_copy)
    lines = str(caught.value).splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        "scenarios/02-routing.yaml:6",
        "scenarios/02-routing.yaml:8",
        "scenarios/02-routing.yaml:30",
    ]
    assert "missing 'en'" in lines[0]
    assert "unknown key 'wher'" in lines[1]
    assert "count" in lines[2]


def test_problems_in_several_files_all_reported(good_copy: Path) -> None:
    _edit(good_copy, B, "for: ready", "for: running")
    _edit(good_copy, R, "count: 30", "count: 0")
    with pytest.raises(LoaderError) as caught:
        load_lab(good_copy)
    assert [(p.file, p.line) for p in caught.value.problems] == [
        ("scenarios/01-basics.yaml", 31),
        ("scenarios/02-routing.yaml", 30),
    ]


def test_file_not_named_as_a_section(good_copy: Path) -> None:
    (good_copy / "notes.yaml").write_text("a: 1\n")
    with pytest.raises(LoaderError) as caught:
        load_lab(good_copy)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("scenarios/notes.yaml", 1)
    assert "NN-<section-id>.yaml" in problem.message


def test_duplicate_section_number(good_copy: Path) -> None:
    text = (good_copy / R).read_text().replace("id: routing", "id: other", 1)
    text = text.replace("route-v1", "other-v1").replace("requires: [deploy-demo]", "")
    (good_copy / "02-other.yaml").write_text(text)
    with pytest.raises(LoaderError) as caught:
        load_lab(good_copy)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("scenarios/02-routing.yaml", 2)
    assert "number: 2 is also scenarios/02-other.yaml" in problem.message


def test_unreadable_file_does_not_cause_unknown_step_noise(good_copy: Path) -> None:
    # route-v1 requires deploy-demo, whose file is now not YAML: one problem, not two.
    (good_copy / B).write_text("id: basics\nnumber: [1\n")
    with pytest.raises(LoaderError) as caught:
        load_lab(good_copy)
    (problem,) = caught.value.problems
    assert problem.file == "scenarios/01-basics.yaml" and "invalid YAML" in problem.message


def test_missing_lab_yaml(good_copy: Path) -> None:
    (good_copy / "lab.yaml").unlink()
    with pytest.raises(LoaderError) as caught:
        load_lab(good_copy)
    assert str(caught.value) == "scenarios/lab.yaml: lab.yaml not found"


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("      - host:", "      - 5\n      - host:", 19, "must be an action"),
        ("  - id: route-v1\n", "  - just text\n  - id: route-v1\n", 5, "must be a step"),
        ("steps:\n", "steps: []\nother:\n", 4, "needs at least 1 item"),
    ],
)
def test_wrong_shapes(good_copy: Path, old: str, new: str, line: int, words: str) -> None:
    _edit(good_copy, R, old, new)
    with pytest.raises(LoaderError) as caught:
        load_lab(good_copy)
    lines = [p.line for p in caught.value.problems]
    assert line in lines, str(caught.value)
    assert words in str(caught.value)


def test_yml_file_is_not_skipped_silently(good_copy: Path) -> None:
    (good_copy / R).rename(good_copy / "02-routing.yml")
    with pytest.raises(LoaderError) as caught:
        load_lab(good_copy)
    assert str(caught.value) == "scenarios/02-routing.yml: lab files end in .yaml, not .yml"
