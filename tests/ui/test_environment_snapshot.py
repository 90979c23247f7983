"""The Environment screen at 80×24 on fixed data: one VM running with its SSH details, one
stopped, one being created; fed through the same messages its workers post."""

from __future__ import annotations

from pathlib import Path

from ui_data import SMALL, settle

from istiotui.ui import messages as msg
from istiotui.ui.screens.environment import ENVIRONMENT, EnvironmentScreen
from istiotui.vms import (
    ActionProgress,
    MachineProgress,
    MachineState,
    OutputLine,
    SshDetails,
    load_settings,
)

ROOT = Path(__file__).resolve().parents[2]


def fixed_status() -> msg.VmStatusRead:
    specs = {s.name: s for s in load_settings(ROOT / "settings.yaml").machines()}
    machines = (
        MachineState("master", "running", "virtualbox", specs["master"]),
        MachineState("worker1", "poweroff", "virtualbox", specs["worker1"]),
        MachineState("worker2", "not_created", "virtualbox", specs["worker2"]),
    )
    return msg.VmStatusRead(machines, None, "/home/ana/istiotui")


def fixed_run() -> list:
    key = "/home/ana/istiotui/.vagrant/machines/master/virtualbox/private_key"
    boot = [
        "==> worker2: Importing base box 'bento/ubuntu-24.04'...",
        "==> worker2: Setting the name of the VM: istiotui_worker2",
        "==> worker2: Booting VM...",
        "==> worker2: Waiting for machine to boot. This may take a few minutes...",
    ]
    return [
        msg.VmSshDetailsRead("master", SshDetails("master", "127.0.0.1", 2222, "vagrant", key)),
        msg.VmActionStarted("up", "worker2"),
        msg.VmLinesPrinted(tuple(OutputLine(line, "worker2", "info") for line in boot)),
        msg.VmProgressChanged(
            ActionProgress("up", (MachineProgress("worker2", 0.125, "waiting for boot"),))
        ),
    ]


def test_environment_screen_small(snap_compare, make_app) -> None:
    async def feed(pilot) -> None:
        await settle(pilot)
        pilot.app.install_screen(EnvironmentScreen(open_lab=None), ENVIRONMENT)
        await pilot.press("e")
        await settle(pilot)
        screen = pilot.app.screen
        screen.post_message(fixed_status())
        await settle(pilot)
        for message in fixed_run():
            screen.post_message(message)
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SMALL, run_before=feed)


async def test_s_copies_the_ssh_command_of_the_running_vm(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        app.install_screen(EnvironmentScreen(open_lab=None), ENVIRONMENT)
        await pilot.press("e")
        await settle(pilot)
        screen = app.screen
        screen.post_message(fixed_status())
        screen.post_message(fixed_run()[0])
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        key = "/home/ana/istiotui/.vagrant/machines/master/virtualbox/private_key"
        command = (
            f"ssh -p 2222 -i {key} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no "
            "-o UserKnownHostsFile=/dev/null vagrant@127.0.0.1"
        )
        assert app.clipboard == command
        assert [n.message for n in app.notices] == [f"Copied: {command}"]
        await pilot.press("j", "s")  # worker1 is powered off: nothing to copy
        await settle(pilot)
        assert app.notices[-1].message == "worker1 is not running: no SSH details."
        assert "worker1 is stopped (poweroff). U starts it." in str(
            screen.query_one("#vm-details").render()
        )
        await pilot.press("t")
        await settle(pilot)
        assert "on every VM" in str(screen.query_one("#env-head").render())
