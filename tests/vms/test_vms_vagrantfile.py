"""The real Vagrantfile under the real vagrant, on temp copies with modified settings.yaml.

Machine names come from `vagrant status --machine-readable`; IPs, sizes and provisioners from
the Vagrantfile's own VAGRANT_LAB_PLAN introspection (documented at the top of the Vagrantfile).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from vms_helpers import SCRIPTS, edit_settings

from istiotui.vms import load_settings


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
    assert [m["ip"] for m in plan["machines"]] == ["10.0.0.10", "10.0.0.11", "10.0.0.12"]


@pytest.mark.parametrize(
    ("edits", "names", "ips"),
    [
        (
            [("count: 2", "count: 3"), ("master_ip: 10.0.0.10", "master_ip: 192.168.56.40")],
            ["master", "worker1", "worker2", "worker3"],
            ["192.168.56.40", "192.168.56.41", "192.168.56.42", "192.168.56.43"],
        ),
        ([("count: 2", "count: 0")], ["master"], ["10.0.0.10"]),
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
