"""Helpers of tests/vms (a module of its own: every test folder has a conftest.py, so
`from conftest import` could pick another folder's)."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
# Hides the provider plugins (vagrant-libvirt): Vagrant then has no provider, as on a host
# without VirtualBox, unless one of its built-in providers is usable (see no_builtin_provider).
NO_PROVIDER_ENV = {"VAGRANT_NO_PLUGINS": "1"}


def no_builtin_provider() -> None:
    """Skip when VirtualBox, a provider built into Vagrant, is usable: NO_PROVIDER_ENV would
    not hide it (docker's is never picked by default, Hyper-V's only runs on Windows)."""
    import pytest

    if shutil.which("VBoxManage"):
        pytest.skip("VirtualBox is installed here: Vagrant has a usable built-in provider")


def copy_lab(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("Vagrantfile", "settings.yaml"):
        shutil.copy(ROOT / name, dest / name)
    return dest


def edit_settings(lab: Path, old: str, new: str) -> None:
    """Replace one line's text in the copy's settings.yaml, keeping comments and line numbers."""
    path = lab / "settings.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not exactly once in settings.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
