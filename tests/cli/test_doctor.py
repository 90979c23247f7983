"""`istiotui doctor` on this machine, for real: each line against what is really here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli.conftest import Istiotui
from cli.output_schema import assert_documented
from istiotui.cli import exit_codes
from istiotui.cli.doctor import collect, exit_code, usable_ways


def _checks(doc: dict) -> dict[str, dict]:
    return {c["id"]: c for c in doc["checks"]}


def test_doctor_without_a_kubeconfig(istiotui: Istiotui) -> None:
    done = istiotui("doctor", "-o", "json")
    doc = json.loads(done.stdout)
    assert_documented("doctor", doc)
    checks = _checks(doc)
    assert (
        checks["cluster"]["status"] == "missing" and checks["cluster"]["found"] == "no kubeconfig"
    )
    assert "vagrant up" in checks["cluster"]["fix"]
    assert (checks["kubectl"]["status"] == "ok") == (shutil.which("kubectl") is not None)
    assert (checks["vagrant"]["status"] == "ok") == (shutil.which("vagrant") is not None)
    assert (checks["virtualbox"]["status"] == "ok") == (shutil.which("VBoxManage") is not None)
    assert (checks["bubblewrap"]["status"] == "ok") <= (shutil.which("bwrap") is not None)
    assert checks["bubblewrap"]["optional"] is True
    # This machine runs the test suite's local clusters: Linux, the venv's Envoy, loopback.
    for needed in ("linux", "envoy", "loopback"):
        assert checks[needed]["status"] == "ok", checks[needed]
    assert checks["envoy"]["found"].split(".")[0].isdigit()  # Envoy's own version, e.g. 1.40.0
    assert doc["usable"] == ["local"]
    assert done.returncode == exit_codes.OK
    for check in doc["checks"]:
        assert (check["fix"] is None) == (check["status"] == "ok"), check


def test_the_text_gives_a_fix_under_each_missing_line(istiotui: Istiotui) -> None:
    done = istiotui("doctor")
    assert done.returncode == exit_codes.OK
    lines = done.stdout.splitlines()
    missing = [i for i, line in enumerate(lines) if line.startswith("  missing ")]
    assert missing  # no kubeconfig here
    for i in missing:
        assert lines[i + 1].strip().startswith("fix: ")
    assert lines[-1] == "The lab can run on the local cluster (istiotui --local)."


def test_a_cluster_that_does_not_answer(istiotui: Istiotui, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: gone, context: {cluster: c, user: u}}]\n"
    )
    done = istiotui("doctor", "-o", "json", "--kubeconfig", str(kubeconfig))
    cluster = _checks(json.loads(done.stdout))["cluster"]
    assert cluster["status"] == "missing"
    assert "context gone" in cluster["found"] and "did not answer" in cluster["found"]


@pytest.mark.slow
def test_a_reachable_cluster_and_its_istio(istiotui: Istiotui, start_local_cluster) -> None:
    cluster = start_local_cluster("doctor", data_plane=False)
    done = istiotui(
        "--kubeconfig", str(cluster.kubeconfig), "doctor", "-o", "json", env=cluster.env
    )
    doc = json.loads(done.stdout)
    checks = _checks(doc)
    assert checks["cluster"]["status"] == "ok", checks["cluster"]
    assert cluster.url in checks["cluster"]["found"]
    assert "context istiotui-local" in checks["cluster"]["found"]
    # Nothing installed Istio on it: said, with the step that does, and not fatal.
    assert checks["istio"] == {
        "id": "istio",
        "group": "cluster",
        "status": "missing",
        "optional": True,
        "found": "no istiod in istio-system",
        "fix": checks["istio"]["fix"],
    }
    assert "istio-install-minimal" in checks["istio"]["fix"]
    assert doc["usable"] == ["cluster", "local"]
    assert done.returncode == exit_codes.OK


def test_nowhere_to_run_the_lab_is_a_failure(tmp_path: Path, monkeypatch) -> None:
    """On macOS with no cluster configured: the local cluster's line says why, nothing is usable."""
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    found = collect(platform="darwin")
    linux = next(c for c in found if c.id == "linux")
    assert not linux.ok and linux.fix is not None and "needs Linux" in linux.fix
    assert usable_ways(found) == []
    assert exit_code(usable_ways(found)) == exit_codes.FAILED
