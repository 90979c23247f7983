"""VagrantLab.status / ssh_details / ssh_command against the real vagrant, on not-created
machines; and the clear messages without vagrant, without a provider, with bad settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import vagrant
from vms_helpers import NO_PROVIDER_ENV, copy_lab, edit_settings, no_builtin_provider

from istiotui.vms import (
    SettingsError,
    VagrantAction,
    VagrantLab,
    VagrantNotFound,
    VmError,
    find_lab_root,
)
from istiotui.vms.vagrant_lab import ROOT_ENV, ssh_details_from_config


def test_status_reads_the_not_created_machines(provider_usable: str, lab_dir: Path) -> None:
    status = VagrantLab(lab_dir).status()
    assert status.problem is None
    assert [(m.name, m.state, m.provider) for m in status.machines] == [
        ("master", "not_created", provider_usable),
        ("worker1", "not_created", provider_usable),
        ("worker2", "not_created", provider_usable),
    ]
    assert [m.ip for m in status.machines] == ["192.168.56.10", "192.168.56.11", "192.168.56.12"]
    assert not any(m.running for m in status.machines)


def test_without_any_provider_the_machines_are_listed_with_a_clear_message(
    vagrant_exe: str, lab_dir: Path
) -> None:
    no_builtin_provider()
    status = VagrantLab(lab_dir, env=NO_PROVIDER_ENV).status()
    assert status.problem is not None
    assert status.problem.startswith("No Vagrant provider is usable on this machine")
    assert "install VirtualBox" in status.problem
    assert "No usable default provider could be found" in status.problem  # Vagrant's words
    assert [(m.name, m.state) for m in status.machines] == [
        ("master", "unknown"),
        ("worker1", "unknown"),
        ("worker2", "unknown"),
    ]


def test_virtualbox_requested_but_absent_says_so(vagrant_exe: str, lab_dir: Path) -> None:
    if shutil.which("VBoxManage"):
        pytest.skip("VirtualBox is installed here")
    status = VagrantLab(lab_dir, env={"VAGRANT_DEFAULT_PROVIDER": "virtualbox"}).status()
    assert status.problem is not None
    assert "VBoxManage" in status.problem and "not usable" in status.problem
    assert {m.state for m in status.machines} == {"unknown"}


def test_without_vagrant_everything_says_it_is_not_installed(
    lab_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert vagrant.get_vagrant_executable() is None
    lab = VagrantLab(lab_dir)
    status = lab.status()
    assert status.problem is not None and "Vagrant is not installed" in status.problem
    assert [m.name for m in status.machines] == ["master", "worker1", "worker2"]
    with pytest.raises(VagrantNotFound):
        lab.start(VagrantAction.UP)
    with pytest.raises(VagrantNotFound):
        lab.ssh_command("master")


def test_bad_settings_are_the_problem_before_vagrant_runs(lab_dir: Path) -> None:
    edit_settings(lab_dir, "count: 2", "count: -1")
    status = VagrantLab(lab_dir).status()
    assert status.machines == ()
    assert status.problem is not None
    assert status.problem.startswith(f"{lab_dir / 'settings.yaml'}:")
    assert "workers.count" in status.problem


def test_ssh_details_of_a_machine_not_created_gives_vagrants_reason(
    provider_usable: str, lab_dir: Path
) -> None:
    with pytest.raises(VmError) as err:
        VagrantLab(lab_dir).ssh_details("master")
    message = str(err.value)
    assert message.startswith("master: no SSH details")
    assert "not yet ready for SSH" in message  # Vagrant's own explanation, not "no answer"


def test_ssh_details_of_an_unknown_machine(lab_dir: Path) -> None:
    with pytest.raises(SettingsError, match="no machine named 'db'"):
        VagrantLab(lab_dir).ssh_details("db")


def test_ssh_details_map_what_ssh_config_prints() -> None:
    # The shape `vagrant ssh-config master` prints for a running VirtualBox VM.
    text = (
        "Host master\n"
        "  HostName 127.0.0.1\n"
        "  User vagrant\n"
        "  Port 2200\n"
        "  UserKnownHostsFile /dev/null\n"
        "  StrictHostKeyChecking no\n"
        "  PasswordAuthentication no\n"
        '  IdentityFile "/home/ana/lab/.vagrant/machines/master/virtualbox/private_key"\n'
        "  IdentitiesOnly yes\n"
        "  LogLevel FATAL\n"
    )
    conf = vagrant.Vagrant(root="/nonexistent").conf(ssh_config=text, vm_name="master")
    details = ssh_details_from_config("master", conf)
    key = "/home/ana/lab/.vagrant/machines/master/virtualbox/private_key"
    assert (details.host, details.port, details.user, details.identity_file) == (
        "127.0.0.1",
        2200,
        "vagrant",
        key,
    )
    argv = details.command()
    assert argv[:3] == ["ssh", "-p", "2200"]
    assert argv[argv.index("-i") + 1] == key
    assert argv[-1] == "vagrant@127.0.0.1"
    with pytest.raises(VmError, match="no usable 'Port'"):
        ssh_details_from_config("master", {"HostName": "127.0.0.1", "User": "vagrant"})


def test_ssh_command_is_vagrant_ssh_in_the_lab_folder(vagrant_exe: str, lab_dir: Path) -> None:
    command = VagrantLab(lab_dir, env={"EXTRA": "1"}).ssh_command("worker1")
    assert command.argv == (vagrant_exe, "ssh", "worker1")
    assert command.cwd == lab_dir and command.env["EXTRA"] == "1"


def test_find_lab_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ROOT_ENV, raising=False)
    lab = copy_lab(tmp_path / "lab")
    nested = lab / "scenarios" / "deep"
    nested.mkdir(parents=True)
    assert find_lab_root(nested) == lab.resolve()
    monkeypatch.setenv(ROOT_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(VmError, match=f"{ROOT_ENV}=.*no Vagrantfile there"):
        find_lab_root(nested)
    monkeypatch.setenv(ROOT_ENV, str(lab))
    assert find_lab_root(tmp_path) == lab
