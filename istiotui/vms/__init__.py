"""The lab's VMs: settings.yaml, and Vagrant driven through python-vagrant.

Sits below `ui/` (the Environment screen) and uses nothing above it. The interface:

- `VagrantLab(root=None, env=None)`: root defaults to `find_lab_root()`.
  - `.settings() -> LabSettings` (`.machines()` -> MachineSpec name/role/ip/cpus/memory_mb).
  - `.status() -> LabStatus`: `.machines` (MachineState name/state/provider/spec/ip) and
    `.problem` (None, or why Vagrant could not answer: no vagrant, no provider, bad settings).
  - `.ssh_details(machine) -> SshDetails` (host, port, user, identity_file; `.command()`).
  - `.ssh_command(machine) -> ShellCommand` (`vagrant ssh <machine>`, to run on the TTY).
  - `.start(VagrantAction.UP | HALT | PROVISION, machine=None) -> ActionRun`: iterate `.events()`
    in a thread worker (OutputLine, ProgressChanged, then one ActionFinished); `.cancel()`.
- Errors are `VmError` (and its `SettingsError`, `VagrantNotFound`), worded for the user.
"""

from __future__ import annotations

import logging

# python-vagrant logs a warning at import when vagrant is missing; VagrantLab reports that
# itself, in words for the user, so the library's log line would only garble the screen.
logging.getLogger("vagrant").setLevel(logging.ERROR)

from istiotui.vms.action_progress import ActionProgress, MachineProgress  # noqa: E402
from istiotui.vms.actions import (  # noqa: E402
    ActionEvent,
    ActionFinished,
    ActionRun,
    OutputLine,
    ProgressChanged,
    VagrantAction,
)
from istiotui.vms.errors import SettingsError, VagrantNotFound, VmError  # noqa: E402
from istiotui.vms.settings import LabSettings, MachineSpec, load_settings  # noqa: E402
from istiotui.vms.vagrant_lab import (  # noqa: E402
    LabStatus,
    MachineState,
    ShellCommand,
    SshDetails,
    VagrantLab,
    find_lab_root,
)

__all__ = [
    "ActionEvent",
    "ActionFinished",
    "ActionProgress",
    "ActionRun",
    "LabSettings",
    "LabStatus",
    "MachineProgress",
    "MachineSpec",
    "MachineState",
    "OutputLine",
    "ProgressChanged",
    "SettingsError",
    "ShellCommand",
    "SshDetails",
    "VagrantAction",
    "VagrantLab",
    "VagrantNotFound",
    "VmError",
    "find_lab_root",
    "load_settings",
]
