"""Plain `istiotui [flags]` is read without the commands' modules, and reads as the full parser
reads it; anything else is the full parser's to answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from istiotui.cli.flags import settle
from istiotui.cli.main import build_parser, parse

TUI_ARGVS = [
    [],
    ["--context", "none"],
    ["--local", "--lang", "es", "--step", "vms-clone"],
    ["--kubeconfig=/tmp/k", "--context=c", "--step", "lab"],  # a value that names a command
]


@pytest.mark.parametrize("argv", TUI_ARGVS)
def test_the_lab_s_flags_read_as_the_full_parser_reads_them(argv: list[str]) -> None:
    full = build_parser()
    expected = full.parse_args(argv)
    settle(full, expected)
    parser, got = parse(argv)
    assert parser.prog == "istiotui"
    assert vars(got) == vars(expected)
    assert got.command is None


@pytest.mark.parametrize(
    "argv",
    [["lab", "list"], ["--lang", "es", "lab", "list"], ["local", "status"]],
)
def test_a_command_goes_to_the_full_parser(argv: list[str]) -> None:
    _parser, args = parse(argv)
    assert args.command == argv[2 if argv[0] == "--lang" else 0]
    assert callable(args.func)


def test_the_lab_s_start_imports_no_command_module() -> None:
    code = (
        "import json, sys\n"
        "from istiotui.cli.main import COMMANDS, parse\n"
        "parse(['--context', 'none'])\n"
        "print(json.dumps([n for n in COMMANDS if f'istiotui.cli.{n}' in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["lcoal"], "invalid choice: 'lcoal'"),
        (["--lang", "xx"], "invalid choice: 'xx'"),
        (["--local", "--context", "x"], "not allowed with argument --local"),
        (["--step"], "expected one argument"),
    ],
)
def test_mistakes_are_the_full_parser_s_usage_errors(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as ended:
        parse(argv)
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert said in err
    assert "usage: istiotui" in err


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse(["--help"])
    assert "lab" in capsys.readouterr().out.split("positional arguments")[1]


def test_the_lab_without_a_terminal_says_so_and_starts_nothing(tmp_path) -> None:
    env = {**os.environ, "ISTIOTUI_STATE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "istiotui"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert "needs a terminal" in done.stderr
    assert not (tmp_path / "local").exists()  # no local cluster was started
