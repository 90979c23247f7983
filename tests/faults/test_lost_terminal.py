"""A lost terminal ends the app (docs/reliability.md): after SIGHUP or SIGTERM the process is
gone, whatever it was doing — on its first screen, still starting, or blocked writing to a
terminal that no longer reads. `istiotui` runs as a user starts it, in a pseudo-terminal.

The waits are deadlines, not measurements: the app promises 2 s (`cli/ending.py`); a hang is
minutes, so a deadline of a few times the promise tells them apart on a loaded machine.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from faults.pty_terminal import Terminal, wait_for

GONE_S = 8.0


def offline_env(tmp_path: Path) -> dict[str, str]:
    # An explicit kubeconfig that is not there: no cluster, and no local one started either.
    return {
        **os.environ,
        "ISTIOTUI_STATE_DIR": str(tmp_path / "state"),
        "HOME": str(tmp_path),
    }


def offline_argv(tmp_path: Path) -> list[str]:
    return ["--kubeconfig", str(tmp_path / "no-kubeconfig")]


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_the_terminal_closed_on_the_first_screen(tmp_path: Path, sig: signal.Signals) -> None:
    terminal = Terminal(offline_argv(tmp_path), offline_env(tmp_path))
    try:
        wait_for(lambda: terminal.shows("Quit"), "the first screen")
        terminal.hang_up()  # the SSH session dropped: the kernel sends SIGHUP, we send it too
        terminal.proc.send_signal(sig)
        assert terminal.gone_within(GONE_S), "the app outlived its terminal"
    finally:
        terminal.close()


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_a_signal_during_start_up(tmp_path: Path, sig: signal.Signals) -> None:
    terminal = Terminal(offline_argv(tmp_path), offline_env(tmp_path))
    try:
        wait_for(lambda: bool(terminal.output), "the first byte on the terminal")
        terminal.hang_up()
        terminal.proc.send_signal(sig)
        assert terminal.gone_within(GONE_S), "the app outlived its terminal during start-up"
    finally:
        terminal.close()


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
@pytest.mark.parametrize("how", ["stops-reading", "closed-while-drawing"])
def test_a_signal_while_the_app_draws_to_a_terminal_that_is_stuck_or_gone(
    tmp_path: Path, sig: signal.Signals, how: str
) -> None:
    """Textual's writer blocks on a full terminal (or dies on a closed one), its queue fills,
    and the app's loop blocks putting the next frame in it: a signal handler that waits for the
    loop never runs. This is how the processes of issue 13 hung (a killed tmux session)."""
    terminal = Terminal(offline_argv(tmp_path), offline_env(tmp_path), rows=60, cols=200)
    try:
        wait_for(lambda: terminal.shows("Quit"), "the first screen")
        if how == "stops-reading":
            terminal.stop_reading()
        # Every language switch redraws the whole screen: far more than the terminal holds.
        for _ in range(400):
            terminal.type("L")
        if how == "closed-while-drawing":
            terminal.hang_up()
        terminal.proc.send_signal(sig)
        assert terminal.gone_within(GONE_S), "the app hung writing to the terminal"
        assert terminal.proc.returncode == 128 + sig
    finally:
        terminal.close()
