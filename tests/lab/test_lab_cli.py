"""`istiotui lab list|show`, run in-process through the real entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from istiotui.cli import exit_codes
from istiotui.cli.main import main

EXPECTED_LIST = {
    "en": """\
Test lab

 1. The basics
      deploy-demo  Deploy the demo

 2. Routing
      route-v1     Everything to v1
""",
    "es": """\
Laboratorio de prueba

 1. Lo básico
      deploy-demo  Desplegar la demo

 2. Enrutamiento
      route-v1     Todo a v1
""",
}


@pytest.mark.parametrize("lang", ["es", "en"])
def test_list_outline(lang: str, good_lab_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "list", "--lang", lang]) == 0
    assert capsys.readouterr().out == EXPECTED_LIST[lang]


@pytest.mark.parametrize(
    ("env", "lang"),
    [
        ({"LANG": "es_ES.UTF-8"}, "es"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "es_AR.UTF-8"}, "es"),
        ({"LANG": "es_ES.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),
        ({"LANG": "es_ES.UTF-8", "LC_ALL": ""}, "es"),
    ],
)
def test_lang_defaults_from_locale(
    env: dict[str, str],
    lang: str,
    good_lab_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["lab", "list"]) == 0
    assert capsys.readouterr().out == EXPECTED_LIST[lang]


def test_lang_flag_beats_locale(
    good_lab_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LC_ALL", "es_ES.UTF-8")
    assert main(["lab", "list", "--lang", "en"]) == 0
    assert capsys.readouterr().out == EXPECTED_LIST["en"]


def test_show_step(good_lab_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "show", "deploy-demo", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "deploy-demo — Deploy the demo"
    assert "Section 1: The basics (scenarios/01-basics.yaml:6)" in lines
    assert "  $ kubectl apply -f samples/demo/app.yaml -n demo" in lines
    assert "  apply -f samples/demo/app.yaml" in lines
    assert "      Deployment/demo -n other" in lines
    assert "  wait Pod -l app=demo -n demo --for=ready --timeout=60s" in lines
    assert "  delete -f samples/demo/app.yaml --ignore-not-found" in lines
    assert lines[-2:] == ["Expected result", "  One ready pod."]
    # The long paragraph is re-flowed, the list and the code block are kept.
    assert "- a Service" in lines and "kubectl get pods -n demo" in lines
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)


def test_show_step_in_spanish(good_lab_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "show", "route-v1", "--lang", "es"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "route-v1 — Todo a v1"
    assert "Todo a v1." in lines
    assert "Sondas" in lines and "Comprobaciones" in lines and "Resultado esperado" in lines
    assert "  pages: only v1" in lines
    assert "      Todo va a v1." in lines
    assert "  pages: shares v1 50%, v3 50% (confidence 0.99)" in lines
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)


def test_show_unknown_step(good_lab_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "show", "route-v2", "--lang", "en"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "unknown step 'route-v2'" in captured.err
    assert "did you mean: route-v1?" in captured.err


def test_invalid_lab_exits_lab_invalid_with_file_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = Path(__file__).parent / "broken" / "negative-count" / "scenarios"
    monkeypatch.setenv("ISTIOTUI_SCENARIOS", str(broken))
    assert main(["lab", "list"]) == exit_codes.LAB_INVALID
    assert "scenarios/01-basics.yaml:12: " in capsys.readouterr().err


def test_lang_flag_rejects_other_languages(
    good_lab_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["lab", "list", "--lang", "fr"])
    assert caught.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
