"""The VM layer's errors: each message is meant to be shown to the user as it is."""

from __future__ import annotations


class VmError(Exception):
    """A problem with the lab's VMs, worded for the user (what failed and what to do)."""


class SettingsError(VmError):
    """settings.yaml is missing or wrong; the message names file:line and the field."""


class VagrantNotFound(VmError):
    """No `vagrant` executable on PATH."""
