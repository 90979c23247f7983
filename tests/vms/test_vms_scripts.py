"""The provisioning and lab scripts: shellcheck-clean, strict mode, consistent step counts, and
the helpers of lib.sh behaving as the scripts rely on (run for real in bash)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from vms_helpers import SCRIPTS

SCRIPT_FILES = sorted(SCRIPTS.glob("*.sh"))
RUNNABLE = [p for p in SCRIPT_FILES if p.name != "lib.sh"]


def test_the_expected_scripts_exist() -> None:
    names = {p.name for p in SCRIPT_FILES}
    assert {
        "lib.sh",
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
