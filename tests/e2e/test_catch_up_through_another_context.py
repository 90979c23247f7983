"""Issue 22 as a learner meets it: the first sections done, then istiotui opened on a cluster
reached through a kubeconfig context of its own, with no istioctl on PATH.

The local cluster is brought to all-v1 through its own context (what a learner would have done
by hand), then `istiotui verify` runs as a command through a second context, `lab-master`, with
the same server and credentials. To istiotui that is a real cluster: probes go through
port-forward and exec over the API, and istioctl is what installs Istio. The later steps must
pass, and the output must say which earlier steps were found already done.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from second_context import LAB_CONTEXT, write_second_context

from istiotui.cluster.kind import ClusterKind
from istiotui.lab.executor import Executor
from istiotui.lab.loader import load_lab
from istiotui.lab.walk import catch_up
from istiotui.local import daemon
from istiotui.local.state import StateDir

pytestmark = pytest.mark.slow
LATER = ("routing-jason-v2", "fault-delay-jason", "shift-50-v3")
# What the learner did before opening istiotui, that a catch-up must find and keep.
FOUND = (
    "istio-install-minimal",
    "istio-ingress-gateway",
    "istio-egress-gateway",
    "istio-ingress-clusterip",
    "injection-enable",
    "bookinfo-deploy",
    "bookinfo-pods-ready",
    "routing-gateway",
    "routing-destination-rules",
    "routing-all-v1",
)


def _without_istioctl(path: str) -> str:
    return os.pathsep.join(
        d for d in path.split(os.pathsep) if d and not (Path(d) / "istioctl").exists()
    )


def test_later_steps_pass_through_another_context_without_istioctl(
    start_local_cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster = start_local_cluster("catchup-lab-master")
    try:
        _bring_to_all_v1_then_verify(cluster, tmp_path, monkeypatch)
    finally:
        # Stopped now, not at the session's end: its address block is free for the next.
        daemon.down(StateDir(cluster.state))


def _bring_to_all_v1_then_verify(cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lab = load_lab()
    with monkeypatch.context() as mp:
        for key, value in cluster.env.items():
            mp.setenv(key, value)
        from istiotui.cli.session import open_session

        local = open_session(argparse.Namespace(local=True, context=None, kubeconfig=None))
    try:
        assert local.cluster == ClusterKind.LOCAL
        lines: list[str] = []
        executor = Executor(local.objects, local.cluster, lines.append)
        for step in [*catch_up(lab, "routing-all-v1", local.cluster), lab.step("routing-all-v1")]:
            executor.run(step.actions, step.id)
    finally:
        local.close()

    kubeconfig = write_second_context(cluster.kubeconfig, tmp_path / "kubeconfig")
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "KUBECONFIG": str(kubeconfig),
        "PATH": _without_istioctl(os.environ.get("PATH", "")),
        "HOME": str(home),  # no ~/istio-*/bin either
        "ISTIOTUI_STATE_DIR": str(tmp_path / "state"),  # not the local cluster's folder
    }
    for key in ("ISTIOTUI_LOCAL_BLOCK", "ISTIOTUI_API_PORT"):
        env.pop(key, None)
    proc = subprocess.run(
        [sys.executable, "-m", "istiotui", "verify", *LATER, "--context", LAB_CONTEXT],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert f"cluster: {LAB_CONTEXT} ({cluster.url})" in proc.stderr
    assert "istioctl" not in proc.stderr
    table = {ln.split()[0]: ln.split()[1] for ln in out.splitlines() if ln.startswith(LATER)}
    assert table == dict.fromkeys(LATER, "PASS"), out
    found = next(ln for ln in out.splitlines() if "catch-up, already done:" in ln)
    already = found.split(":", 1)[1].strip().split(", ")
    assert set(FOUND) <= set(already), found
    # Istio was found, not installed: istioctl was never looked for.
    assert "istioctl: already there: control plane istio-system/istiod 1.24.0" in out
    assert "needs istioctl" not in out
    # Steps after all-v1 were done by the catch-up itself, and said so.
    (made,) = [ln for ln in out.splitlines() if "catch-up, done now:" in ln]
    assert made.endswith("done now: fault-abort-jason"), out
    assert "  catch-up, completed: fault-cleanup" in out  # partly there: the rest done
    assert "= shift-all-v1: already done" in out
