"""The real Vagrantfile under the real vagrant, on temp copies with modified settings.yaml.

Machine names come from `vagrant status --machine-readable`; IPs, sizes and provisioners from
the Vagrantfile's own VAGRANT_LAB_PLAN introspection (documented at the top of the Vagrantfile).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from vms_helpers import SCRIPTS, edit_settings

from istiotui.vms import SettingsError, VagrantLab, load_settings


def _plan(run_vagrant, lab: Path) -> dict:
    plan_file = lab / "plan.json"
    result = run_vagrant(
        lab, "validate", "--ignore-provider", env={"VAGRANT_LAB_PLAN": str(plan_file)}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(plan_file.read_text(encoding="utf-8"))


def _status_names(run_vagrant, lab: Path) -> list[str]:
    result = run_vagrant(lab, "status", "--machine-readable")
    assert result.returncode == 0, result.stdout + result.stderr
    names = []
    for line in result.stdout.splitlines():
        fields = line.split(",")
        if len(fields) >= 4 and fields[2] == "state" and fields[1] not in names:
            names.append(fields[1])
    return names


def _as_python_sees_it(lab: Path) -> list[dict]:
    settings = load_settings(lab / "settings.yaml")
    return [
        {
            "name": m.name,
            "role": m.role,
            "ip": m.ip,
            "cpus": m.cpus,
            "memory_mb": m.memory_mb,
            "box": settings.box,
            "box_version": settings.box_version,
            "provisioners": list(m.provisioners),
        }
        for m in settings.machines()
    ]


def _as_vagrant_builds_it(plan: dict) -> list[dict]:
    keys = ("name", "role", "ip", "cpus", "memory_mb", "box", "box_version")
    return [
        {**{k: m[k] for k in keys}, "provisioners": [p["name"] for p in m["provisioners"]]}
        for m in plan["machines"]
    ]


def test_vagrant_validate_passes_without_a_provider(run_vagrant, lab_dir: Path) -> None:
    result = run_vagrant(lab_dir, "validate", "--ignore-provider")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Vagrantfile validated successfully" in result.stdout


def test_vagrant_validate_passes_with_the_provider_vagrant_picks(
    run_vagrant, provider_usable: str, lab_dir: Path
) -> None:
    result = run_vagrant(lab_dir, "validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Vagrantfile validated successfully" in result.stdout


def test_the_vagrantfile_builds_what_settings_yaml_says(run_vagrant, lab_dir: Path) -> None:
    plan = _plan(run_vagrant, lab_dir)
    assert plan["settings"] == str(lab_dir / "settings.yaml")
    assert _as_vagrant_builds_it(plan) == _as_python_sees_it(lab_dir)
    ips = ["192.168.56.10", "192.168.56.11", "192.168.56.12"]
    assert [m["ip"] for m in plan["machines"]] == ips


@pytest.mark.parametrize(
    ("edits", "names", "ips"),
    [
        (
            [("count: 2", "count: 3"), ("master_ip: 192.168.56.10", "master_ip: 192.168.56.40")],
            ["master", "worker1", "worker2", "worker3"],
            ["192.168.56.40", "192.168.56.41", "192.168.56.42", "192.168.56.43"],
        ),
        ([("count: 2", "count: 0")], ["master"], ["192.168.56.10"]),
    ],
)
def test_changing_settings_changes_the_machines(
    run_vagrant, lab_dir: Path, edits: list[tuple[str, str]], names: list[str], ips: list[str]
) -> None:
    for old, new in edits:
        edit_settings(lab_dir, old, new)
    edit_settings(lab_dir, "memory_mb: 3072", "memory_mb: 2048")
    plan = _plan(run_vagrant, lab_dir)
    assert [m["name"] for m in plan["machines"]] == names
    assert [m["ip"] for m in plan["machines"]] == ips
    assert all(m["memory_mb"] == 2048 for m in plan["machines"] if m["role"] == "worker")
    assert _as_vagrant_builds_it(plan) == _as_python_sees_it(lab_dir)


def test_vagrant_status_lists_the_machines_settings_yaml_defines(
    run_vagrant, provider_usable: str, lab_dir: Path
) -> None:
    assert _status_names(run_vagrant, lab_dir) == ["master", "worker1", "worker2"]
    edit_settings(lab_dir, "count: 2", "count: 3")
    assert _status_names(run_vagrant, lab_dir) == ["master", "worker1", "worker2", "worker3"]


def test_bad_settings_stop_vagrant_with_the_file_and_field(run_vagrant, lab_dir: Path) -> None:
    edit_settings(lab_dir, "count: 2", "count: two")
    result = run_vagrant(lab_dir, "validate", "--ignore-provider")
    assert result.returncode != 0
    assert f"{lab_dir / 'settings.yaml'}: workers.count must be an integer" in result.stderr


def test_provisioners_get_every_variable_their_script_requires(run_vagrant, lab_dir: Path) -> None:
    plan = _plan(run_vagrant, lab_dir)
    hosts = ",".join(f"{m['ip']} {m['name']}" for m in plan["machines"])
    join_files = set()
    for machine in plan["machines"]:
        for prov in machine["provisioners"]:
            script = SCRIPTS / prov["script"]
            assert script.is_file(), f"{machine['name']}: {script} does not exist"
            required = re.findall(r"^lab_require_env (.+)$", script.read_text(), re.M)
            for name in " ".join(required).split():
                assert prov["env"].get(name), f"{prov['script']} needs {name}"
            if prov["name"] == "common":
                assert prov["env"]["NODE_IP"] == machine["ip"]
                assert prov["env"]["LAB_HOSTS"] == hosts
            if "JOIN_FILE" in prov["env"]:
                join_files.add(prov["env"]["JOIN_FILE"])
    # The master writes the join command where the workers read it: the synced folder.
    assert len(join_files) == 1 and join_files.pop().startswith("/vagrant/")


@pytest.mark.parametrize(
    ("old", "new", "vagrant_says", "istiotui_says"),
    [
        (
            "pod_cidr: 172.16.0.0/16",
            "pod_cidr: 192.168.56.12/30",
            "network.pod_cidr 192.168.56.12/30 overlaps worker2's address 192.168.56.12",
            "network.pod_cidr: 192.168.56.12/30 overlaps worker2's address 192.168.56.12",
        ),
        (
            "pod_cidr: 172.16.0.0/16",
            "pod_cidr: 10.64.0.0/10",
            "network.pod_cidr 10.64.0.0/10 overlaps the service network 10.96.0.0/12",
            "network.pod_cidr: 10.64.0.0/10 overlaps the service network 10.96.0.0/12",
        ),
        (
            "master_ip: 192.168.56.10",
            "master_ip: 10.100.0.10",
            "master's address 10.100.0.10 (network.master_ip + 0) is inside the service network",
            "master's address 10.100.0.10 (network.master_ip + 0) is inside the service network",
        ),
        (
            "master_ip: 192.168.56.10",
            "master_ip: 192.168.56.1",
            "network.master_ip 192.168.56.1 leaves no room",
            "network.master_ip: 192.168.56.1 leaves no room",
        ),
    ],
)
def test_addresses_that_would_break_the_cluster_stop_vagrant_as_they_stop_istiotui(
    run_vagrant, lab_dir: Path, old: str, new: str, vagrant_says: str, istiotui_says: str
) -> None:
    edit_settings(lab_dir, old, new)
    result = run_vagrant(lab_dir, "validate", "--ignore-provider")
    assert result.returncode != 0
    assert f"{lab_dir / 'settings.yaml'}: {vagrant_says}" in result.stderr
    with pytest.raises(SettingsError, match=re.escape(istiotui_says)):
        load_settings(lab_dir / "settings.yaml")


def _fake_virtualbox(tmp_path: Path, version: str, warning: str = "") -> dict[str, str]:
    """A VBoxManage that only tells its version (after a warning line, as VirtualBox prints one
    when its kernel module is not loaded): enough for the Vagrantfile's own checks, which run
    when Vagrant loads the file (validate --ignore-provider asks VirtualBox nothing else)."""
    bin_dir = tmp_path / "vbox-bin"
    bin_dir.mkdir()
    exe = bin_dir / "VBoxManage"
    said = f"{warning}\\n{version}" if warning else version
    exe.write_text(f'#!/bin/sh\n[ "$1" = --version ] && printf "{said}\\n"\nexit 0\n')
    exe.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _vagrant_version(run_vagrant, lab: Path) -> str:
    out = run_vagrant(lab, "--version").stdout
    match = re.search(r"(\d+\.\d+\.\d+)", out)
    assert match, out
    return match.group(1)


def test_a_virtualbox_too_new_for_this_vagrant_is_named_before_anything_starts(
    run_vagrant, lab_dir: Path, tmp_path: Path
) -> None:
    vagrant = _vagrant_version(run_vagrant, lab_dir)
    if _version(vagrant) >= (2, 4, 9):
        pytest.skip(f"Vagrant {vagrant} supports every VirtualBox the Vagrantfile knows")
    # Vagrant 2.4.1 (or Debian's 2.3.4) with VirtualBox 7.2: the pair the issue reports.
    warning = "WARNING: The vboxdrv kernel module is not loaded."
    fake = _fake_virtualbox(tmp_path, "7.2.4r170995", warning)
    result = run_vagrant(lab_dir, "validate", "--ignore-provider", env=fake)
    assert result.returncode != 0
    said = f"VirtualBox 7.2.4 needs Vagrant 2.4.9 or newer, and this is Vagrant {vagrant}"
    assert said in result.stderr
    assert "VirtualBox 7.1 needs Vagrant 2.4.2+" in result.stderr
    # The Environment screen shows the same reason where the machines would be.
    status = VagrantLab(lab_dir, env={**os.environ, **fake}).status()
    assert status.problem is not None and said in status.problem
    assert {m.state for m in status.machines} == {"unknown"}


def test_a_supported_pair_passes_and_a_range_virtualbox_refuses_is_warned_about(
    run_vagrant, lab_dir: Path, tmp_path: Path
) -> None:
    vagrant = _vagrant_version(run_vagrant, lab_dir)
    if _version(vagrant) < (2, 3, 2):
        pytest.skip(f"Vagrant {vagrant} predates VirtualBox 7.0 support")
    fake = _fake_virtualbox(tmp_path, "7.0.20r163906")
    result = run_vagrant(lab_dir, "validate", "--ignore-provider", env=fake)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr  # the defaults sit in VirtualBox's allowed range
    if os.path.exists("/etc/vbox/networks.conf"):
        pytest.skip("this host allows other host-only ranges in /etc/vbox/networks.conf")
    edit_settings(lab_dir, "master_ip: 192.168.56.10", "master_ip: 10.0.0.10")
    result = run_vagrant(lab_dir, "validate", "--ignore-provider", env=fake)
    assert result.returncode == 0, result.stderr
    warning = "10.0.0.10, 10.0.0.11, 10.0.0.12 are outside 192.168.56.0/21"
    assert result.stderr.count(warning) == 1, result.stderr
