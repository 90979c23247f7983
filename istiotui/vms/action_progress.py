"""Progress of a Vagrant action, per machine, read from its machine-readable output.

What it relies on:
- Vagrant's `action,<machine>,<action>,start|end` records bracket each machine's work;
- during `up`, Vagrant's own boot messages ("Booting VM", "Machine booted and ready!");
- "Running provisioner: <name>" says which of the machine's provisioners runs
  (settings.ROLE_PROVISIONERS, the Vagrantfile's order);
- the lab's scripts announce their steps as `[lab] <script> <i>/<n>: <text>` (scripts/lib.sh).

A machine's `up` spends BOOT_SHARE of its bar booting and the rest provisioning, each
provisioner an equal part, each script step an equal part of its provisioner.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from istiotui.vms.machine_readable import Record
from istiotui.vms.settings import MachineSpec

BOOT_SHARE = 0.25
_LAB_STEP = re.compile(r"\[lab\] (?P<script>[\w.-]+) (?P<i>\d+)/(?P<n>\d+): (?P<text>.*)$")
_PROVISIONER = re.compile(r"Running provisioner: (?P<name>[\w.-]+)")
# Vagrant's boot milestones, as fractions of the boot share.
_BOOT_MILESTONES: tuple[tuple[str, float, str], ...] = (
    # The first `up` downloads the box (about 1 GB) without any progress lines of its own.
    ("Attempting to find and install", 0.02, "downloading the box"),
    ("Importing base box", 0.1, "importing the box"),
    ("Cloning VM", 0.1, "cloning the box"),
    ("Booting VM", 0.4, "booting"),
    ("Waiting for machine to boot", 0.5, "waiting for boot"),
    ("Machine booted and ready", 0.9, "booted"),
    ("Mounting shared folders", 1.0, "mounting /vagrant"),
)


@dataclass(frozen=True)
class MachineProgress:
    name: str
    fraction: float
    phase: str
    finished: bool = False


@dataclass(frozen=True)
class ActionProgress:
    action: str
    machines: tuple[MachineProgress, ...]

    @property
    def fraction(self) -> float:
        if not self.machines:
            return 0.0
        return sum(m.fraction for m in self.machines) / len(self.machines)

    def machine(self, name: str) -> MachineProgress:
        return next(m for m in self.machines if m.name == name)


class _Machine:
    def __init__(self, spec: MachineSpec, boot_share: float) -> None:
        self.spec = spec
        self.boot_share = boot_share
        self.fraction = 0.0
        self.phase = "waiting"
        self.finished = False
        self.provisioner = -1

    def advance(self, fraction: float, phase: str) -> None:
        # Never backwards: a re-printed milestone must not shrink the bar.
        self.fraction = max(self.fraction, min(fraction, 1.0))
        self.phase = phase

    def provision_share(self) -> float:
        count = max(len(self.spec.provisioners), 1)
        return (1.0 - self.boot_share) / count

    def provisioner_base(self) -> float:
        return self.boot_share + max(self.provisioner, 0) * self.provision_share()


class ProgressTracker:
    """Feed it every record of one action's output; read `snapshot()` whenever it changed."""

    def __init__(self, action: str, machines: Sequence[MachineSpec]) -> None:
        self.action = action
        boot_share = BOOT_SHARE if action == "up" else 0.0
        self._machines = {spec.name: _Machine(spec, boot_share) for spec in machines}

    def snapshot(self) -> ActionProgress:
        return ActionProgress(
            self.action,
            tuple(
                MachineProgress(m.spec.name, m.fraction, m.phase, m.finished)
                for m in self._machines.values()
            ),
        )

    def feed(self, record: Record) -> bool:
        """Update from one record; True when the progress changed."""
        machine = self._machines.get(record.target)
        if machine is None or machine.finished:
            return False
        before = (machine.fraction, machine.phase, machine.finished)
        if record.kind == "action" and len(record.data) >= 2:
            if record.data[1] == "start":
                machine.advance(0.0, f"{record.data[0]} started")
            elif record.data[1] == "end":
                machine.advance(1.0, "done")
                machine.finished = True
        elif record.kind == "ui" and len(record.data) >= 2:
            for line in record.data[1].splitlines():
                self._feed_text(machine, line)
        return before != (machine.fraction, machine.phase, machine.finished)

    def _feed_text(self, machine: _Machine, line: str) -> None:
        if self.action == "halt":
            if "shutdown" in line.lower():
                machine.advance(0.5, "shutting down")
            return
        step = _LAB_STEP.search(line)
        if step is not None:
            i, n = int(step["i"]), max(int(step["n"]), 1)
            share = machine.provision_share()
            machine.advance(machine.provisioner_base() + share * (i - 1) / n, step["text"])
            return
        provisioner = _PROVISIONER.search(line)
        if provisioner is not None:
            name = provisioner["name"]
            if name in machine.spec.provisioners:
                machine.provisioner = machine.spec.provisioners.index(name)
            machine.advance(machine.provisioner_base(), f"provisioning: {name}")
            return
        if self.action == "up":
            for text, fraction, phase in _BOOT_MILESTONES:
                if text in line:
                    machine.advance(machine.boot_share * fraction, phase)
                    return
