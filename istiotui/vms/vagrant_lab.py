"""VagrantLab: the lab's VMs as the Environment screen sees them.

Every VM's state (`vagrant status`), its SSH details (`vagrant ssh-config`), the actions
up / halt / provision with streamed output and progress, and the `vagrant ssh` command line.
State and SSH details come through python-vagrant; actions through ActionRun (actions.py).
Without vagrant, without a usable provider or with a broken settings.yaml, nothing raises:
status() still lists settings.yaml's machines, as state "unknown", with a clear `problem`.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import vagrant

from istiotui import settings
from istiotui.vms import machine_readable
from istiotui.vms.actions import ActionRun, VagrantAction
from istiotui.vms.errors import SettingsError, VagrantNotFound, VmError
from istiotui.vms.settings import SETTINGS_NAME, LabSettings, MachineSpec, load_settings

ROOT_ENV = settings.VAGRANT_ROOT.name
UNKNOWN = "unknown"
VAGRANT_MISSING = (
    "Vagrant is not installed here (no `vagrant` on PATH). The lab's VMs are managed from the "
    "host: install VirtualBox and Vagrant there (docs/vms.md). Inside a VM this is expected."
)
_PROVIDER_HINT = {
    "Vagrant::Errors::NoDefaultProvider": (
        "No Vagrant provider is usable on this machine: install VirtualBox, the lab's provider."
    ),
    "Vagrant::Errors::ProviderNotUsable": (
        "The requested Vagrant provider is not usable here (for the lab: is VirtualBox installed "
        "and VBoxManage on PATH?)."
    ),
}


@dataclass(frozen=True)
class MachineState:
    """One VM: its state as Vagrant reports it ("unknown" when Vagrant could not say)."""

    name: str
    state: str
    provider: str | None
    spec: MachineSpec | None

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def ip(self) -> str | None:
        return self.spec.ip if self.spec is not None else None


@dataclass(frozen=True)
class LabStatus:
    machines: tuple[MachineState, ...]
    # What stopped Vagrant from answering, worded for the user; None when it answered.
    problem: str | None


@dataclass(frozen=True)
class SshDetails:
    """What `vagrant ssh-config` says about one VM (what MobaXterm's SSH session needs)."""

    machine: str
    host: str
    port: int
    user: str
    identity_file: str | None

    def command(self) -> list[str]:
        """A plain ssh command line equivalent to `vagrant ssh <machine>`."""
        argv = ["ssh", "-p", str(self.port)]
        if self.identity_file:
            argv += ["-i", self.identity_file, "-o", "IdentitiesOnly=yes"]
        argv += ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
        return [*argv, f"{self.user}@{self.host}"]


@dataclass(frozen=True)
class ShellCommand:
    """A command for the UI to run in the terminal (it needs the TTY, so not in a worker)."""

    argv: tuple[str, ...]
    cwd: Path
    env: Mapping[str, str]


def find_lab_root(start: Path | None = None) -> Path:
    """The folder holding the Vagrantfile and settings.yaml: $ISTIOTUI_VAGRANT_ROOT, else the
    nearest one at or above `start` (default: the current directory), else istiotui's source
    checkout."""
    explicit = settings.VAGRANT_ROOT.get()
    if explicit is not None:
        root = explicit
        if not (root / "Vagrantfile").is_file():
            raise VmError(f"{ROOT_ENV}={explicit}: no Vagrantfile there")
        return root
    here = (start or Path.cwd()).resolve()
    checkout = Path(__file__).resolve().parents[2]
    for candidate in (here, *here.parents, checkout):
        if (candidate / "Vagrantfile").is_file() and (candidate / SETTINGS_NAME).is_file():
            return candidate
    raise VmError(
        f"No lab Vagrantfile found from {here}: run istiotui from the lab's checkout, or set "
        f"{ROOT_ENV} to it."
    )


class _StderrCapture:
    """python-vagrant's err_cm: collects a command's stderr for our error messages."""

    def __init__(self) -> None:
        self.text = ""

    @contextlib.contextmanager
    def __call__(self) -> Iterator[IO[str]]:
        with tempfile.TemporaryFile("w+", encoding="utf-8") as fh:
            try:
                yield fh
            finally:
                # Also when the command failed: that is when its stderr matters.
                fh.seek(0)
                self.text = fh.read()


class VagrantLab:
    def __init__(self, root: Path | None = None, env: Mapping[str, str] | None = None) -> None:
        """`env` adds to (or overrides) this process's environment for every vagrant call."""
        self.root = root if root is not None else find_lab_root()
        self.extra_env = dict(env or {})

    @property
    def settings_path(self) -> Path:
        return self.root / SETTINGS_NAME

    def settings(self) -> LabSettings:
        return load_settings(self.settings_path)

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.extra_env}

    def vagrant_exe(self) -> str:
        exe = vagrant.get_vagrant_executable()
        if exe is None:
            raise VagrantNotFound(VAGRANT_MISSING)
        return exe

    def _vagrant(self, capture: _StderrCapture) -> vagrant.Vagrant:
        return vagrant.Vagrant(root=str(self.root), env=self.env(), err_cm=capture)

    def status(self) -> LabStatus:
        try:
            specs = self.settings().machines()
        except SettingsError as exc:
            return LabStatus((), str(exc))
        unknown = tuple(MachineState(s.name, UNKNOWN, None, s) for s in specs)
        try:
            self.vagrant_exe()
        except VagrantNotFound as exc:
            return LabStatus(unknown, str(exc))
        capture = _StderrCapture()
        try:
            reported = self._vagrant(capture).status()
        except subprocess.CalledProcessError as exc:
            output = exc.output.decode("utf-8", "replace") if exc.output else ""
            return LabStatus(unknown, _explain("vagrant status", output, capture.text))
        by_name = {s.name: s for s in specs}
        machines = [
            MachineState(r.name, r.state or UNKNOWN, r.provider, by_name.get(r.name))
            for r in reported
        ]
        seen = {m.name for m in machines}
        machines += [m for m in unknown if m.name not in seen]
        return LabStatus(tuple(machines), None)

    def ssh_details(self, machine: str) -> SshDetails:
        """SSH details of a running VM; VmError (with Vagrant's reason) when it has none."""
        self.settings().machine(machine)
        capture = _StderrCapture()
        try:
            conf = self._vagrant(capture).conf(vm_name=machine)
        except subprocess.CalledProcessError:
            reason = machine_readable.first_paragraph(capture.text) or "no answer"
            raise VmError(
                f"{machine}: no SSH details (is it running? start it with Up). Vagrant says: "
                f"{reason}"
            ) from None
        except RuntimeError as exc:  # python-vagrant's "executable cannot be found"
            raise VagrantNotFound(VAGRANT_MISSING) from exc
        return ssh_details_from_config(machine, conf)

    def ssh_command(self, machine: str) -> ShellCommand:
        self.settings().machine(machine)
        return ShellCommand((self.vagrant_exe(), "ssh", machine), self.root, self.env())

    def start(self, action: VagrantAction, machine: str | None = None) -> ActionRun:
        """Start `vagrant <action> [machine]`; iterate the run's events() from a worker."""
        specs = self.settings().machines()
        if machine is not None:
            specs = (self.settings().machine(machine),)
        return ActionRun(self.vagrant_exe(), action, machine, specs, self.root, self.env())


def ssh_details_from_config(machine: str, conf: Mapping[str, str]) -> SshDetails:
    """Map python-vagrant's parsed ssh-config (HostName, Port, User, IdentityFile)."""
    try:
        return SshDetails(
            machine=machine,
            host=conf["HostName"],
            port=int(conf["Port"]),
            user=conf["User"],
            identity_file=conf.get("IdentityFile"),
        )
    except (KeyError, ValueError) as exc:
        raise VmError(f"{machine}: vagrant ssh-config gave no usable {exc}") from exc


def _explain(command: str, output: str, stderr: str) -> str:
    """A user-facing sentence for a failed vagrant command."""
    exit_record = machine_readable.error_exit(machine_readable.parse(output))
    if exit_record is not None:
        error_class = exit_record.data[0] if exit_record.data else ""
        said = " ".join(exit_record.text.split())
        lead = _PROVIDER_HINT.get(error_class, f"{command} failed ({error_class}).")
        return f"{lead} Vagrant says: {said}"
    said = " ".join(stderr.split()) or " ".join(output.split()) or "no output"
    return f"{command} failed: {said}"
