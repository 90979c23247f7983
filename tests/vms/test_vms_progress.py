"""Progress from machine-readable records: Vagrant's record format (lib/vagrant/ui.rb) and the
step lines the lab's scripts really print (scripts/lib.sh run by bash)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from vms_helpers import SCRIPTS

from istiotui.vms import load_settings
from istiotui.vms.action_progress import ProgressTracker
from istiotui.vms.machine_readable import error_exit, parse, parse_line

ROOT = SCRIPTS.parent


def _script_lines(tmp_path: Path, name: str, steps: list[str]) -> list[str]:
    """Run a script that sources the real lib.sh and announces `steps`."""
    script = tmp_path / f"{name}.sh"
    calls = "\n".join(f'lab_step "{s}"' for s in steps)
    script.write_text(
        f'set -euo pipefail\nsource "{SCRIPTS / "lib.sh"}"\nlab_steps {len(steps)}\n{calls}\n'
    )
    out = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def _ui(machine: str, kind: str, message: str) -> str:
    # How Vagrant's MachineReadable UI writes a line (commas and newlines escaped).
    escaped = message.replace(",", "%!(VAGRANT_COMMA)").replace("\n", "\\n")
    return f"1795627000,{machine},ui,{kind},{escaped}"


def _detail(machine: str, lines: list[str]) -> str:
    # The shell provisioner's output: one detail record, each line prefixed by the machine.
    return _ui(machine, "detail", "\n".join(f"    {machine}: {line}" for line in lines))


def test_lib_sh_prints_the_step_lines_progress_reads(tmp_path: Path) -> None:
    lines = _script_lines(tmp_path, "common", ["Turning swap off", "Installing containerd"])
    assert lines == [
        "[lab] common 1/2: Turning swap off",
        "[lab] common 2/2: Installing containerd",
    ]


def test_up_progress_moves_through_boot_provisioners_and_steps(tmp_path: Path) -> None:
    master = load_settings(ROOT / "settings.yaml").machine("master")
    tracker = ProgressTracker("up", [master])
    common = _script_lines(tmp_path, "common", ["a", "b", "c"])
    master_steps = _script_lines(tmp_path, "master", ["kubeadm init", "calico"])
    output = [
        "1795627000,master,action,up,start",
        _ui(
            "master",
            "info",
            "==> master: Box 'bento/ubuntu-24.04' could not be found. "
            "Attempting to find and install...",
        ),
        _ui("master", "info", "==> master: Importing base box 'bento/ubuntu-24.04'..."),
        _ui("master", "info", "==> master: Booting VM..."),
        _ui("master", "info", "==> master: Machine booted and ready!"),
        _ui("master", "info", "==> master: Running provisioner: common (shell)..."),
        _detail("master", common[:1]),
        _detail("master", common[1:]),
        _ui("master", "info", "==> master: Running provisioner: master (shell)..."),
        *(_detail("master", [line, "some apt output, with a comma"]) for line in master_steps),
        _ui("master", "info", "==> master: Running provisioner: istiotui (shell)..."),
        "1795627000,master,action,up,end",
    ]
    seen = []
    for line in output:
        tracker.feed(parse_line(line))
        m = tracker.snapshot().machine("master")
        seen.append((m.fraction, m.phase))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions), seen
    assert all(f < 1.0 for f in fractions[:-1]) and fractions[-1] == 1.0
    # Each step moves the bar and names what runs.
    assert seen[1][1] == "downloading the box" and seen[1][0] > 0.0
    booted = seen[4]
    assert booted[1] == "booted" and 0.0 < booted[0] < seen[5][0]
    assert seen[6][1] == "a" and seen[7][1] == "c" and seen[7][0] > seen[6][0]
    assert seen[8][1] == "provisioning: master"
    assert seen[10][1] == "calico" and seen[10][0] > seen[9][0]
    assert seen[-1][1] == "done" and tracker.snapshot().machines[0].finished


def test_other_machines_and_late_records_do_not_move_a_machine() -> None:
    spec = load_settings(ROOT / "settings.yaml").machine("worker1")
    tracker = ProgressTracker("provision", [spec])
    assert not tracker.feed(parse_line(_ui("master", "info", "==> master: Running provisioner: x")))
    assert tracker.feed(parse_line("1795627000,worker1,action,provision,end"))
    assert not tracker.feed(parse_line(_detail("worker1", ["[lab] worker 1/2: Joining"])))
    assert tracker.snapshot().fraction == 1.0


def test_machine_readable_records_are_unescaped() -> None:
    records = parse(
        "1795626740,master,metadata,provider,libvirt\n"
        "1795626740,master,state,not_created\n"
        "1795626740,,ui,info,Current machine states:\\n\\nmaster   not created\\n"
        "VM%!(VAGRANT_COMMA) run `vagrant status NAME`.\n"
        "a stray line from Ruby\n"
        "1795626770,,error-exit,Vagrant::Errors::NoDefaultProvider,No usable default provider"
        " could be found.\\n\\nInstall VirtualBox%!(VAGRANT_COMMA) please.\n"
    )
    assert (records[0].target, records[0].kind, records[0].data) == (
        "master",
        "metadata",
        ("provider", "libvirt"),
    )
    assert records[2].text.endswith("master   not created\nVM, run `vagrant status NAME`.")
    assert records[3].kind is None and records[3].text == "a stray line from Ruby"
    failure = error_exit(records)
    assert failure is not None and failure.data[0] == "Vagrant::Errors::NoDefaultProvider"
    assert failure.text.endswith("Install VirtualBox, please.")
