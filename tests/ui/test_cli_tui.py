"""`istiotui` with no command is the full-screen lab; `--help` still lists every command."""

from __future__ import annotations

import pytest

from istiotui.cli.main import COMMANDS, main


def test_help_lists_the_commands_and_the_lab_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert f"    {command} " in out
    for flag in ("--local", "--context", "--kubeconfig", "--lang", "--step"):
        assert flag in out


def test_an_unknown_step_is_refused_before_the_screen_opens(capsys) -> None:
    assert main(["--step", "routing-al-v1"]) == 2
    err = capsys.readouterr().err
    assert "unknown step 'routing-al-v1'" in err and "istiotui lab list" in err


def test_language_must_be_es_or_en(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--lang", "fr"])
    assert exit_.value.code == 2
    assert "invalid choice: 'fr'" in capsys.readouterr().err


def test_local_and_context_exclude_each_other(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--local", "--context", "kind-lab"])
    assert "not allowed with argument" in capsys.readouterr().err
