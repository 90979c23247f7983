"""settings.yaml → machines, and clear file:line errors for bad values (no Vagrant needed)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
import yaml
from vms_helpers import ROOT, edit_settings

from istiotui.vms import SettingsError, load_settings


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_the_projects_settings_define_a_master_and_workers_following_its_ip() -> None:
    raw = yaml.safe_load((ROOT / "settings.yaml").read_text(encoding="utf-8"))
    machines = load_settings(ROOT / "settings.yaml").machines()

    assert [m.name for m in machines] == ["master"] + [
        f"worker{i}" for i in range(1, raw["workers"]["count"] + 1)
    ]
    master_ip = ipaddress.IPv4Address(raw["network"]["master_ip"])
    assert [m.ip for m in machines] == [str(master_ip + i) for i in range(len(machines))]
    assert (machines[0].cpus, machines[0].memory_mb) == (
        raw["master"]["cpus"],
        raw["master"]["memory_mb"],
    )
    assert all(
        (m.role, m.cpus, m.memory_mb)
        == ("worker", raw["workers"]["cpus"], raw["workers"]["memory_mb"])
        for m in machines[1:]
    )


def test_the_lab_defaults_are_the_issues_shape() -> None:
    settings = load_settings(ROOT / "settings.yaml")
    machines = settings.machines()
    assert [m.name for m in machines] == ["master", "worker1", "worker2"]
    # Inside 192.168.56.0/21, the only host-only range VirtualBox allows on Linux and macOS.
    assert [m.ip for m in machines] == ["192.168.56.10", "192.168.56.11", "192.168.56.12"]
    host_only = ipaddress.IPv4Network("192.168.56.0/21")
    assert all(ipaddress.IPv4Address(m.ip) in host_only for m in machines)
    assert machines[0].memory_mb >= 4096 and machines[0].cpus >= 2
    assert all(2048 <= m.memory_mb <= 4096 and m.cpus >= 2 for m in machines[1:])
    # Istio 1.24, the lab's, supports Kubernetes 1.28-1.31 only.
    major, minor, _ = (int(x) for x in settings.kubernetes_version.split("."))
    assert major == 1 and 28 <= minor <= 31
    assert settings.box.startswith("bento/ubuntu-")


def test_worker_count_and_master_ip_change_the_machines(lab_dir: Path) -> None:
    edit_settings(lab_dir, "count: 2", "count: 4")
    edit_settings(lab_dir, "master_ip: 192.168.56.10", "master_ip: 192.168.56.20")
    machines = load_settings(lab_dir / "settings.yaml").machines()
    assert [(m.name, m.ip) for m in machines] == [
        ("master", "192.168.56.20"),
        ("worker1", "192.168.56.21"),
        ("worker2", "192.168.56.22"),
        ("worker3", "192.168.56.23"),
        ("worker4", "192.168.56.24"),
    ]


def test_no_workers_leaves_the_master_alone(lab_dir: Path) -> None:
    edit_settings(lab_dir, "count: 2", "count: 0")
    assert [m.name for m in load_settings(lab_dir / "settings.yaml").machines()] == ["master"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("count: 2", "count: two", "workers.count: must be an integer from 0 to 9, got 'two'"),
        ("count: 2", "count: 12", "workers.count: must be an integer from 0 to 9, got 12"),
        ("master_ip: 192.168.56.10", "master_ip: 10.0.0.300", "network.master_ip: must be an IPv4"),
        ("master_ip: 192.168.56.10", "master_ip: 10.0.0.253", "leaves no room for 2 workers"),
        ("master_ip: 192.168.56.10", "master_ip: 192.168.56.1", ".1 is the host's"),
        (
            "pod_cidr: 172.16.0.0/16",
            "pod_cidr: 192.168.0.0/16",
            "network.pod_cidr: 192.168.0.0/16 overlaps master's address 192.168.56.10",
        ),
        (
            "pod_cidr: 172.16.0.0/16",
            "pod_cidr: 192.168.56.12/30",
            "overlaps worker2's address 192.168.56.12 (network.master_ip + 2)",
        ),
        (
            "pod_cidr: 172.16.0.0/16",
            "pod_cidr: 10.64.0.0/10",
            "network.pod_cidr: 10.64.0.0/10 overlaps the service network 10.96.0.0/12",
        ),
        (
            "master_ip: 192.168.56.10",
            "master_ip: 10.100.0.10",
            "master's address 10.100.0.10 (network.master_ip + 0) is inside the service network",
        ),
        ("pod_cidr: 172.16.0.0/16", "pod_cidr: 172.16.0.1/16", "network.pod_cidr: must be a CIDR"),
        ("kubernetes: 1.31.12", "kubernetes: 1.31", "versions.kubernetes: must be a full version"),
        ("calico: v3.29.3", "calico: 3.29.3", "versions.calico: must be a release tag"),
        ("name: bento/ubuntu-24.04", "name: ubuntu", "box.name: must be a box name"),
        ("memory_mb: 4096", "memory_mb: 512", "master.memory_mb: must be an integer from 2048"),
    ],
)
def test_a_bad_value_is_named_with_file_line_and_field(
    lab_dir: Path, old: str, new: str, expected: str
) -> None:
    edit_settings(lab_dir, old, new)
    path = lab_dir / "settings.yaml"
    with pytest.raises(SettingsError) as err:
        load_settings(path)
    message = str(err.value)
    assert expected in message
    line = _line_of(path, new)
    assert message.startswith(f"{path}:{line}: "), message


def test_a_missing_field_is_named(lab_dir: Path) -> None:
    edit_settings(lab_dir, "  calico: v3.29.3\n", "")
    path = lab_dir / "settings.yaml"
    with pytest.raises(SettingsError, match=r"versions\.calico: is missing"):
        load_settings(path)


def test_broken_yaml_names_the_line(lab_dir: Path) -> None:
    edit_settings(lab_dir, "  cpus: 2\n  memory_mb: 4096", "  cpus: [2\n  memory_mb: 4096")
    path = lab_dir / "settings.yaml"
    with pytest.raises(SettingsError, match=rf"^{path}:\d+: not valid YAML"):
        load_settings(path)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read the lab's settings"):
        load_settings(tmp_path / "settings.yaml")


def test_an_unknown_machine_lists_the_known_ones() -> None:
    settings = load_settings(ROOT / "settings.yaml")
    with pytest.raises(
        SettingsError, match=r"no machine named 'worker7'.*master, worker1, worker2"
    ):
        settings.machine("worker7")
    assert settings.machine("worker2").ip == "192.168.56.12"
