"""Stopping Vagrant: escape cancels a running action; SIGTERM and SIGHUP end istiotui like `q`,
so that a running vagrant is stopped on the way out (Python's default for them kills the process
without running any exit code). A Vagrantfile that sleeps in `vagrant halt` stands for a long
`vagrant up`."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from faults.pty_terminal import Terminal, wait_for
from ui_data import LARGE, SMALL, settle

from istiotui.ui.screens.environment import ENVIRONMENT, EnvironmentScreen
from istiotui.ui.widgets.vm_panels import VmLog

DEADLINE_S = 60.0
ROOT = Path(__file__).resolve().parents[2]
# Vagrant stays in `vagrant halt` while it loads this Vagrantfile: a long action to interrupt.
SLOW_VAGRANTFILE = """\
sleep 300 if ARGV.include?("halt")
Vagrant.configure("2") do |config|
  config.vm.box = "bento/ubuntu-24.04"
  %w[master worker1 worker2].each { |name| config.vm.define name }
end
"""


def slow_lab(tmp_path: Path) -> Path:
    if shutil.which("vagrant") is None:
        pytest.skip("vagrant is not installed (CI installs it: .ci/apt-packages-vms.txt)")
    lab = tmp_path / "lab"
    lab.mkdir()
    shutil.copy(ROOT / "settings.yaml", lab / "settings.yaml")
    (lab / "Vagrantfile").write_text(SLOW_VAGRANTFILE, encoding="utf-8")
    return lab


async def pilot_until(pilot, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        await pilot.pause(0.05)


@pytest.mark.parametrize(
    ("platform", "says"),
    [
        ("linux", "cancelling (Vagrant finishes its step)…"),
        ("win32", "cancelling: on Windows Vagrant stops without finishing its step"),
    ],
)
async def test_escape_cancels_a_running_action(
    make_app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str, says: str
) -> None:
    # The run itself stops the way this host allows; `platform` is what the screen tells the
    # learner about it (on Windows no Ctrl-C can let Vagrant finish its step).
    lab = slow_lab(tmp_path)
    monkeypatch.setenv("ISTIOTUI_VAGRANT_ROOT", str(lab))
    monkeypatch.setenv("VAGRANT_CHECKPOINT_DISABLE", "1")
    app = make_app()
    try:
        async with app.run_test(size=LARGE) as pilot:
            await settle(pilot)
            app.install_screen(EnvironmentScreen(platform=platform), ENVIRONMENT)
            await pilot.press("e")
            screen = app.screen
            assert isinstance(screen, EnvironmentScreen)
            await pilot_until(pilot, lambda: not screen.reading, "vagrant status")
            await pilot.press("t", "H")  # every VM
            await settle(pilot)
            await pilot.press("y")
            await pilot_until(pilot, lambda: screen.run is not None, "vagrant halt to start")
            await pilot_until(pilot, lambda: bool(vagrants_in(lab)), "vagrant halt to run")
            await pilot.press("escape")
            await pilot_until(pilot, lambda: not screen.busy, "the cancelled halt")
            assert app.screen is screen  # escape cancelled; it did not leave
            lines = [s.text.rstrip() for s in screen.query_one(VmLog).lines]
            assert lines[0] == "$ vagrant halt --machine-readable"
            assert any(line.startswith(says) for line in lines), lines
            assert lines[-1] == "vagrant halt: cancelled"
            assert not vagrants_in(lab)
            await pilot.press("escape")  # nothing running: now it leaves
            await settle(pilot)
            assert app.screen is app.main_screen
    finally:
        for pid in vagrants_in(lab):  # only when the test failed: leave nothing behind
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
async def test_a_signal_exits_the_app_normally(make_app, sig: signal.Signals) -> None:
    before = signal.getsignal(sig)
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        os.kill(os.getpid(), sig)  # the test process: without the handler, this ends pytest
        deadline = time.monotonic() + DEADLINE_S
        while app.is_running and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert not app.is_running
    assert app.return_code == 0
    assert signal.getsignal(sig) == before  # handed back when the app ended


def vagrants_in(folder: Path, command: str = "halt") -> list[int]:
    """`vagrant <command>` processes working in `folder` (Vagrant runs there)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
                if Path(os.readlink(entry / "cwd")) == folder and command.encode() in argv:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_during_a_vagrant_action_stops_vagrant_and_exits_cleanly(
    tmp_path: Path, sig: signal.Signals
) -> None:
    lab = slow_lab(tmp_path)
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "ISTIOTUI_VAGRANT_ROOT": str(lab),
        "ISTIOTUI_STATE_DIR": str(tmp_path / "state"),
        "VAGRANT_CHECKPOINT_DISABLE": "1",
    }
    # An explicit kubeconfig that is not there: no cluster, and no local one started either.
    terminal = Terminal(["--kubeconfig", str(tmp_path / "no-kubeconfig")], env)
    try:
        wait_for(lambda: terminal.shows("Quit"), "the first screen")
        terminal.type("e")
        wait_for(lambda: terminal.shows("not_created"), "vagrant status on the screen")
        terminal.type("H")
        wait_for(lambda: terminal.shows("Run vagrant halt master?"), "the confirmation")
        terminal.type("y")
        wait_for(lambda: bool(vagrants_in(lab)), "vagrant halt to start")
        if sig == signal.SIGHUP:
            terminal.hang_up()  # with the terminal gone, as when SIGHUP comes for real
        terminal.proc.send_signal(sig)
        returncode = terminal.proc.wait(DEADLINE_S)
        assert returncode == 128 + sig, bytes(terminal.output[-2000:])  # the shell's code
        wait_for(lambda: not vagrants_in(lab), "vagrant to be gone")
        if sig == signal.SIGTERM:
            assert terminal.shows("\x1b[?1049l")  # the terminal got its normal screen back
    finally:
        terminal.close()
        for pid in vagrants_in(lab):  # only when the test failed: leave nothing behind
            os.kill(pid, signal.SIGKILL)
