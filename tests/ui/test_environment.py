"""The Environment screen against the real `vagrant` (the repository's Vagrantfile, copied to a
temp folder so that Vagrant's .vagrant/ never lands in the checkout), without vagrant on PATH,
and without a Vagrantfile. Vagrant commands take a few seconds each here: each test runs only
the ones it needs."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from ui_data import LARGE, settle

from istiotui.ui.screens.environment import ConfirmVmAction, EnvironmentScreen
from istiotui.ui.widgets.vm_panels import VmLog, VmTable

ROOT = Path(__file__).resolve().parents[2]
VAGRANT_DEADLINE_S = 120.0


async def until(pilot, condition: Callable[[], bool], what: str) -> None:
    """Let the app run until `condition` holds; fail naming `what` after the deadline."""
    deadline = time.monotonic() + VAGRANT_DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        await pilot.pause(0.05)


def log_text(screen: EnvironmentScreen) -> list[str]:
    return [strip.text.rstrip() for strip in screen.query_one(VmLog).lines]


def copy_lab(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("Vagrantfile", "settings.yaml"):
        shutil.copy(ROOT / name, dest / name)
    return dest


@pytest.fixture
def real_lab(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    if shutil.which("vagrant") is None:
        pytest.skip("vagrant is not installed (CI installs it: .ci/apt-packages-vms.txt)")
    lab = copy_lab(tmp_path / "lab")
    monkeypatch.setenv("ISTIOTUI_VAGRANT_ROOT", str(lab))
    monkeypatch.setenv("VAGRANT_CHECKPOINT_DISABLE", "1")  # talk to nothing outside
    return lab


async def open_environment(pilot) -> EnvironmentScreen:
    await settle(pilot)
    await pilot.press("e")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, EnvironmentScreen)
    await until(pilot, lambda: not screen.reading, "vagrant status")
    return screen


async def test_real_status_then_a_streamed_halt_of_a_machine(make_app, real_lab: Path) -> None:
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        screen = await open_environment(pilot)
        if screen.problem and "provider" in screen.problem:
            pytest.skip(f"Vagrant has no usable provider here: {screen.problem}")
        assert screen.problem is None
        assert [(m.name, m.state, m.ip) for m in screen.machines] == [
            ("master", "not_created", "192.168.56.10"),
            ("worker1", "not_created", "192.168.56.11"),
            ("worker2", "not_created", "192.168.56.12"),
        ]
        table = screen.query_one(VmTable)
        assert [str(table.get_row(n)[3]) for n in ("master", "worker1", "worker2")] == [
            "192.168.56.10",
            "192.168.56.11",
            "192.168.56.12",
        ]
        details = str(screen.query_one("#vm-details").render())
        assert "master is not created yet" in details and "vagrant up master" in details
        assert str(real_lab) in str(screen.query_one("#env-head").render())
        await pilot.press("s")  # no SSH details for a machine that does not run
        await settle(pilot)
        assert [n.message for n in app.notices] == ["master is not running: no SSH details."]

        await pilot.press("j")  # worker1
        await settle(pilot)
        assert table.selected_name == "worker1"
        await pilot.press("H")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmVmAction)
        assert "Run vagrant halt worker1?" in str(app.screen.query_one("#question").render())
        await pilot.press("y")
        await until(pilot, lambda: screen.busy is False and screen.running is None, "the halt")
        await until(pilot, lambda: not screen.reading, "vagrant status after the halt")

        lines = log_text(screen)
        assert lines[0] == "$ vagrant halt --machine-readable worker1"
        # Vagrant's own line for a machine that does not exist yet, streamed from the run.
        assert any(line.startswith("==> worker1: ") for line in lines), lines
        assert lines[-1] == "vagrant halt worker1: finished"
        assert "✓ vagrant halt worker1: finished" in str(screen.query_one("#vm-phase").render())
        assert screen.query_one("#vm-progress").percentage == 1.0
        assert screen.machines[1].state == "not_created"  # re-read after the action
        assert not [n for n in app.notices if n.severity == "error"]


async def test_without_vagrant_on_path_the_screen_says_why(
    make_app, real_lab: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        screen = await open_environment(pilot)
        assert screen.problem is not None and "Vagrant is not installed here" in screen.problem
        problem = str(screen.query_one("#env-problem").render())
        assert "Vagrant is not installed here" in problem
        # settings.yaml's machines are still listed, their state unknown.
        assert [(m.name, m.state) for m in screen.machines] == [
            ("master", "unknown"),
            ("worker1", "unknown"),
            ("worker2", "unknown"),
        ]
        await pilot.press("P")  # provision: no confirmation, fails with the same reason
        await until(pilot, lambda: not screen.busy, "the refused provision")
        assert any(
            n.severity == "error" and "Vagrant is not installed here" in n.message
            for n in app.notices
        )
        assert "failed" in str(screen.query_one("#vm-phase").render())


async def test_without_a_vagrantfile_the_screen_opens_from_the_palette(
    make_app, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ISTIOTUI_VAGRANT_ROOT", str(tmp_path))  # nothing there
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        await pilot.press("U")  # the screen's keys mean nothing on the main screen
        await settle(pilot)
        assert app.screen is app.main_screen
        await pilot.press("ctrl+p", *"environment")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EnvironmentScreen)
        await until(pilot, lambda: not screen.reading, "the status")
        assert screen.problem == f"ISTIOTUI_VAGRANT_ROOT={tmp_path}: no Vagrantfile there"
        assert screen.machines == ()
        await pilot.press("ctrl+p", *"español")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.lang == "es" and app.screen is screen
        assert str(screen.query_one("#env-head").render()).startswith("Entorno · sin Vagrantfile")
        await pilot.press("a")  # the main screen's keys do not act behind it
        await settle(pilot)
        assert app.notices == []
        await pilot.press("s")  # no machine: a warning, not a crash
        await settle(pilot)
        assert [n.message for n in app.notices] == ["No hay ninguna VM que elegir."]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main_screen
        await pilot.press("e")  # the same screen again, not a new one
        await settle(pilot)
        assert app.screen is screen
