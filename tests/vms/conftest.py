"""Fixtures for the VM layer: copies of the project's Vagrantfile and settings.yaml in a temp
folder (Vagrant writes .vagrant/ next to the Vagrantfile, never into the checkout), and the
real vagrant, skipped with the reason when it is not installed."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from vms_helpers import copy_lab


@pytest.fixture(scope="session", autouse=True)
def _no_vagrant_phone_home() -> Iterator[None]:
    # Vagrant's update check (off in Debian's build anyway): tests talk to nothing outside.
    saved = os.environ.get("VAGRANT_CHECKPOINT_DISABLE")
    os.environ["VAGRANT_CHECKPOINT_DISABLE"] = "1"
    yield
    if saved is None:
        del os.environ["VAGRANT_CHECKPOINT_DISABLE"]
    else:
        os.environ["VAGRANT_CHECKPOINT_DISABLE"] = saved


@pytest.fixture
def lab_dir(tmp_path: Path) -> Path:
    return copy_lab(tmp_path / "lab")


@pytest.fixture(scope="session")
def vagrant_exe() -> str:
    exe = shutil.which("vagrant")
    if exe is None:
        pytest.skip("vagrant is not installed (CI installs it: .ci/apt-packages-vms.txt)")
    return exe


@pytest.fixture(scope="session")
def provider_usable(vagrant_exe: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The provider Vagrant picks here; skips when it has none (VirtualBox cannot run here:
    CI installs vagrant-libvirt so that Vagrant can list the machines)."""
    lab = copy_lab(tmp_path_factory.mktemp("probe"))
    out = subprocess.run(
        [vagrant_exe, "status", "--machine-readable", "master"],
        cwd=lab,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    for line in out.splitlines():
        fields = line.split(",")
        if len(fields) >= 4 and fields[2] == "provider-name":
            return fields[3]
    pytest.skip(f"Vagrant has no usable provider here (install vagrant-libvirt): {out[-300:]}")


@pytest.fixture
def run_vagrant(vagrant_exe: str) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(lab: Path, *args: str, env: dict[str, str] | None = None):
        return subprocess.run(
            [vagrant_exe, *args],
            cwd=lab,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **(env or {})},
        )

    return run
