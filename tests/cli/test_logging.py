"""`-v`, `--log-level` and ISTIOTUI_LOG_LEVEL: on every command, before or after it, and down
to the local cluster a command starts (its server.log)."""

from __future__ import annotations

import argparse
import logging
import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.conftest import Istiotui
from istiotui.cli import exit_codes, logs
from istiotui.cli.main import build_parser
from istiotui.local import daemon
from istiotui.local.state import StateDir

LINE = re.compile(r"^\S+ \S+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) istiotui\.", re.MULTILINE)


def levels(stderr: str) -> set[str]:
    return set(LINE.findall(stderr))


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["lab", "list"], {}, set()),
        (["-v", "lab", "list"], {}, {"INFO"}),
        (["lab", "list", "-v"], {}, {"INFO"}),
        (["lab", "-vv", "list"], {}, {"INFO", "DEBUG"}),
        (["-v", "lab", "list", "-v"], {}, {"INFO", "DEBUG"}),  # counted wherever written
        (["-v", "lab", "-v", "list"], {}, {"INFO", "DEBUG"}),
        (["--log-level", "debug", "lab", "show", "vms-up"], {}, {"INFO", "DEBUG"}),
        (["lab", "show", "vms-up", "--log-level", "ERROR"], {}, set()),
        (["lab", "list"], {"ISTIOTUI_LOG_LEVEL": "info"}, {"INFO"}),
        (["lab", "list", "--log-level", "warning"], {"ISTIOTUI_LOG_LEVEL": "debug"}, set()),
    ],
)
def test_the_level_wherever_it_is_written(
    istiotui: Istiotui, argv: list[str], env: dict[str, str], expected: set[str]
) -> None:
    done = istiotui(*argv, env=env)
    assert done.returncode == exit_codes.OK, done.stderr
    assert levels(done.stderr) == expected, done.stderr


def test_every_subcommand_parser_takes_the_flags() -> None:
    parser = build_parser()
    seen = 0
    stack = [parser]
    while stack:
        current = stack.pop()
        options = set(current._option_string_actions)
        assert {"-v", "--verbose", "--log-level"} <= options, current.prog
        seen += 1
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                stack += list(action.choices.values())
    assert seen >= 10  # istiotui, lab, lab list, lab show, local…, verify, probe, analyze…


def test_the_app_logs_to_a_file_not_the_terminal(tmp_path: Path) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, os.environ.get("ISTIOTUI_LOG_LEVEL"))
    try:
        log_file = tmp_path / "state" / "istiotui.log"
        assert logs.setup(argparse.Namespace(verbose_0=2), log_file) == "debug"
        logging.getLogger("istiotui.test").debug("written to the file")
        for handler in root.handlers:
            handler.flush()
        assert "DEBUG istiotui.test: written to the file" in log_file.read_text()
        assert os.environ["ISTIOTUI_LOG_LEVEL"] == "debug"  # for what the app starts
    finally:
        root.handlers[:], level, env = saved
        root.setLevel(level)
        if env is None:
            os.environ.pop("ISTIOTUI_LOG_LEVEL", None)
        else:
            os.environ["ISTIOTUI_LOG_LEVEL"] = env


@pytest.fixture
def api_only_env(isolated_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """A local cluster serving the API alone, gone with this test run at worst."""
    env = {
        **isolated_env,
        "ISTIOTUI_LOCAL_DATA_PLANE": "0",
        "ISTIOTUI_LOCAL_EXIT_WITH_PID": str(os.getpid()),
    }
    yield env
    daemon.down(StateDir(Path(env["ISTIOTUI_STATE_DIR"]) / "local"))


def _free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def test_the_local_cluster_logs_at_the_level_its_starter_was_given(
    istiotui: Istiotui, api_only_env: dict[str, str]
) -> None:
    server_log = Path(api_only_env["ISTIOTUI_STATE_DIR"]) / "local" / "server.log"
    up = istiotui("--log-level", "debug", "local", "up", "--port", _free_port(), env=api_only_env)
    assert up.returncode == exit_codes.OK, up.stderr
    assert " DEBUG " in server_log.read_text()
    assert istiotui("local", "down", env=api_only_env).returncode == exit_codes.OK
    before = len(server_log.read_text())
    up = istiotui("local", "up", "--port", _free_port(), env=api_only_env)
    assert up.returncode == exit_codes.OK, up.stderr
    again = server_log.read_text()[before:]
    assert " INFO " in again and " DEBUG " not in again  # the default: info
    assert istiotui("local", "down", env=api_only_env).returncode == exit_codes.OK
