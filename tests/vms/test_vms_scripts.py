"""The provisioning and lab scripts: shellcheck-clean, strict mode, consistent step counts, and
the helpers of lib.sh behaving as the scripts rely on (run for real in bash)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from vms_helpers import SCRIPTS

SCRIPT_FILES = sorted(SCRIPTS.glob("*.sh"))
# lib.sh and lib-cluster.sh are sourced, never run.
RUNNABLE = [p for p in SCRIPT_FILES if not p.name.startswith("lib")]


def test_the_expected_scripts_exist() -> None:
    names = {p.name for p in SCRIPT_FILES}
    assert {
        "lib.sh",
        "lib-cluster.sh",
        "common.sh",
        "master.sh",
        "worker.sh",
        "install-istiotui.sh",
        "install-istio.sh",
        "reset-lab.sh",
    } <= names


def test_shellcheck_finds_nothing() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (CI installs it: .ci/apt-packages-vms.txt)")
    result = subprocess.run(
        [shellcheck, "--external-sources", "--severity=style", *map(str, SCRIPT_FILES)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", SCRIPT_FILES, ids=lambda p: p.name)
def test_bash_parses_it(script: Path) -> None:
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("script", RUNNABLE, ids=lambda p: p.name)
def test_strict_mode_and_declared_step_count(script: Path) -> None:
    text = script.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in text
    declared = re.findall(r"^lab_steps (\d+)$", text, re.M)
    steps = re.findall(r"^lab_step \"", text, re.M)
    assert declared == [str(len(steps))], f"lab_steps says {declared}, {len(steps)} lab_step calls"


def test_scripts_keep_lf_line_endings_on_windows_checkouts() -> None:
    attributes = (SCRIPTS / ".gitattributes").read_text(encoding="utf-8")
    assert re.search(r"^\*\.sh\s+text\s+eol=lf$", attributes, re.M)
    assert all(b"\r" not in p.read_bytes() for p in SCRIPT_FILES)


def _bash(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "probe.sh"
    script.write_text(f'set -euo pipefail\nsource "{SCRIPTS / "lib.sh"}"\n{body}\n')
    return subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=30)


def test_lab_line_in_file_adds_a_line_once(tmp_path: Path) -> None:
    target = tmp_path / "bashrc"
    body = f'lab_line_in_file "{target}" "alias k=kubectl"\n' * 3
    assert _bash(tmp_path, body).returncode == 0
    assert target.read_text() == "alias k=kubectl\n"


def test_lab_install_file_reports_whether_it_changed_anything(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    body = (
        f'for i in 1 2; do printf "x=1\\n" > "{tmp_path}/draft"; '
        f'if lab_install_file "{tmp_path}/draft" "{target}"; then echo changed; '
        "else echo same; fi; done"
    )
    result = _bash(tmp_path, body)
    assert result.stdout.split() == ["changed", "same"]
    assert target.read_text() == "x=1\n" and not (tmp_path / "draft").exists()


def test_lab_wait_gives_up_at_its_deadline_naming_what_it_waited_for(tmp_path: Path) -> None:
    result = _bash(tmp_path, 'lab_wait 0 "the API server" false')
    assert result.returncode == 1
    assert "[lab] probe: error: timed out after 0s waiting for the API server" in result.stderr
    assert _bash(tmp_path, 'lab_wait 5 "true" true').returncode == 0


def test_lab_require_env_names_the_missing_variable(tmp_path: Path) -> None:
    result = _bash(tmp_path, "NODE_IP=1.2.3.4\nlab_require_env NODE_IP MASTER_IP")
    assert result.returncode == 1
    assert "environment variable MASTER_IP is not set" in result.stderr


def test_provisioning_scripts_refuse_to_run_without_their_environment(tmp_path: Path) -> None:
    # As a non-root user they stop at lab_require_root; as root at the missing variables.
    for name in ("common.sh", "master.sh", "worker.sh"):
        result = subprocess.run(
            ["bash", str(SCRIPTS / name)],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin"},
        )
        assert result.returncode == 1, name
        assert "run as root" in result.stderr or "is not set" in result.stderr, result.stderr


def test_install_istio_runs_the_labs_commands() -> None:
    text = (SCRIPTS / "install-istio.sh").read_text(encoding="utf-8")
    assert 'ISTIO_VERSION="${ISTIO_VERSION:-1.24.0}"' in text
    install = "istioctl install --set profile=minimal -y --set meshConfig.accessLogFile=/dev/stdout"
    assert install in text
    assert "istioctl x precheck" in text
    assert re.search(
        r"kubectl -n istio-system patch service istio-ingressgateway .*ClusterIP", text
    )
    assert "kubectl edit" not in text


def test_every_node_installs_and_checks_what_kubeadms_preflight_needs() -> None:
    text = (SCRIPTS / "common.sh").read_text(encoding="utf-8")
    packages = re.search(r"^KUBEADM_PACKAGES=\((.*)\)$", text, re.M)
    commands = re.search(r"^KUBEADM_COMMANDS=\((.*)\)$", text, re.M)
    assert packages and commands
    # kubelet 1.31.14's package no longer pulls conntrack in; kubeadm 1.31 still requires it.
    assert "conntrack" in packages.group(1).split()
    assert {"conntrack", "crictl", "ip", "iptables"} <= set(commands.group(1).split())
    install = text.index('openssl containerd "${KUBEADM_PACKAGES[@]}"')
    check = text.index('lab_require_commands "${KUBEADM_COMMANDS[@]}"')
    assert install < check < text.index('lab_step "Making the kubelet use')
    # containerd is held to Kubernetes 1.31's needs, and configured in its own schema.
    assert "lab_containerd_supported" in text
    assert "containerd config default | lab_containerd_config" in text


def test_the_master_writes_a_join_command_that_does_not_expire_and_drops_the_old_one() -> None:
    text = (SCRIPTS / "master.sh").read_text(encoding="utf-8")
    assert text.index('rm -f "$JOIN_FILE"') < text.index("    kubeadm init \\\n")
    assert "kubeadm token create --ttl 0 --print-join-command" in text
    assert text.index('kubeadm token delete "$(cat "$TOKEN_FILE")"') < text.index(
        "kubeadm token create"
    )
    assert "lab_calico_manifest" in text


def test_the_worker_checks_the_join_command_against_the_master_before_joining() -> None:
    text = (SCRIPTS / "worker.sh").read_text(encoding="utf-8")
    assert text.index("lab_join_problem") < text.index('bash "$JOIN_FILE"')
    assert "vagrant provision master --provision-with master" in text


def test_a_master_that_fails_midway_leaves_no_join_command_behind(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("master.sh runs as root (as Vagrant's provisioners do)")
    if shutil.which("kubeadm", path="/usr/bin:/bin") or Path("/etc/kubernetes/admin.conf").exists():
        pytest.skip("kubeadm is installed here: master.sh would really initialise a cluster")
    join = tmp_path / "join.sh"
    join.write_text("#!/usr/bin/env bash\nkubeadm join stale\n")
    env = {
        "PATH": "/usr/bin:/bin",
        "MASTER_IP": "192.168.56.10",
        "KUBERNETES_VERSION": "1.31.12",
        "POD_CIDR": "172.16.0.0/16",
        "CALICO_VERSION": "v3.29.3",
        "JOIN_FILE": str(join),
    }
    # No kubeadm here: the master fails at its first step, as one whose `kubeadm init` failed.
    result = subprocess.run(
        ["bash", str(SCRIPTS / "master.sh")], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode != 0
    assert "removing the previous join command" in result.stdout
    assert not join.exists()
