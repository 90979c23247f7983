"""`kubectl exec` sees the pod, not the host: its hostname is the pod's, the host's files (home,
state dir) are not there, nothing of the host can be written, and it never runs as root — even
when the cluster does (CI runs as root). Where bubblewrap cannot run, only the commands the
image provides run, and anything else is exit 127, as in a minimal image."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from faults.conftest import REPO, FaultCluster, MakeCluster
from istiotui.local.workloads import exec_sandbox

LAB = REPO / "scenarios" / "manifests" / "lab"
NOT_FOUND = 'exec: "{}": executable file not found in $PATH'


def _curl_pod(cluster: FaultCluster) -> str:
    applied = cluster.kubectl("apply", "-f", str(LAB / "09-curl.yaml"))
    assert applied.returncode == 0, applied.stderr
    waited = cluster.kubectl("wait", "--for=condition=Ready", "pod", "-l", "app=curl",
                             "--timeout=120s")  # fmt: skip
    assert waited.returncode == 0, waited.stderr
    name = cluster.kubectl(
        "get", "pods", "-l", "app=curl", "-o", "jsonpath={.items[0].metadata.name}"
    )
    assert name.returncode == 0 and name.stdout, name.stderr
    return name.stdout


def _exec(cluster: FaultCluster, *argv: str) -> tuple[int, str, str]:
    done = cluster.kubectl("exec", "deploy/curl", "-c", "curl", "--", *argv)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.skipif(exec_sandbox.bwrap() is None, reason="bubblewrap cannot run on this machine")
def test_exec_runs_in_a_sandbox_of_the_pod(fault_cluster: MakeCluster, tmp_path: Path) -> None:
    cluster = fault_cluster("exec-sandbox")
    pod = _curl_pod(cluster)
    secret = cluster.home / "secret.txt"
    secret.write_text("host secret\n")

    assert _exec(cluster, "hostname") == (0, f"{pod}\n", "")
    code, uid, _ = _exec(cluster, "id", "-u")
    assert code == 0 and uid.strip() == "65534" and os.getuid() != 65534
    # The host's home, the cluster's credential, the machine's secrets: not in the pod's view.
    for path in (secret, cluster.state.kubeconfig, cluster.state.root / "tls" / "ca.key"):
        code, out, err = _exec(cluster, "cat", str(path))
        assert code != 0 and "host secret" not in out and "token" not in out, (path, out)
        assert "No such file or directory" in err
    code, out, _ = _exec(cluster, "ls", "-a", "/")
    assert code == 0 and "etc" in out.split() and "home" not in out.split()
    # Of the state dir, only the tools (curl, fortio) and the CA certificate are there.
    code, out, _ = _exec(cluster, "ls", str(cluster.state.root), str(cluster.state.root / "tls"))
    assert code == 0 and "kubeconfig" not in out and "store.json" not in out and "logs" not in out
    assert "ca.crt" in out.split() and "ca.key" not in out
    # Nothing of the host can be changed: system dirs are read-only, other paths absent.
    written = tmp_path / "written"
    for command in (f"echo x > {written}", "touch /usr/bin/x", "touch /etc/passwd"):
        code, _, err = _exec(cluster, "sh", "-c", command)
        assert code != 0, command
    assert not written.exists() and not Path("/usr/bin/x").exists()
    # The pod's own /tmp is writable, and is not the host's.
    assert _exec(cluster, "sh", "-c", "echo ok > /tmp/mine && cat /tmp/mine")[:2] == (0, "ok\n")
    # It sees only its own processes.
    code, out, _ = _exec(cluster, "ls", "/proc")
    assert code == 0 and len([e for e in out.split() if e.isdigit()]) <= 3, out
    # The pod's own tools still run, directly and from a shell, on the host's network, with
    # the CA bundle: the API's health check over TLS.
    healthz = f"https://127.0.0.1:{cluster.env['ISTIOTUI_API_PORT']}/healthz"
    assert _exec(cluster, "curl", "-sS", healthz)[:2] == (0, "ok")
    assert _exec(cluster, "sh", "-c", f"curl -sS {healthz} | head -c 2")[:2] == (0, "ok")
    code, out, err = _exec(cluster, "no-such-tool")
    assert (code, out) == (127, "") and err.startswith(NOT_FOUND.format("no-such-tool") + "\n")


def test_without_bubblewrap_only_the_images_commands_run(
    fault_cluster: MakeCluster, tmp_path: Path
) -> None:
    # The server's PATH without bwrap (the fallback then decides alone what runs).
    bare = tmp_path / "path"
    bare.mkdir()
    for tool in ("sleep", "sh"):
        found = shutil.which(tool)
        assert found is not None
        (bare / tool).symlink_to(found)
    cluster = fault_cluster("exec-fallback", PATH=str(bare))
    cluster.env.pop("PATH")  # kubectl runs with this test's PATH
    _curl_pod(cluster)

    for argv in (["python3", "-c", "print(1)"], ["/usr/bin/perl", "-e", "1"], ["bwrap"]):
        code, out, err = _exec(cluster, *argv)
        assert (code, out) == (127, ""), argv
        assert NOT_FOUND.format(argv[0]) in err
    # The shell finds only the image's commands too.
    code, _, err = _exec(cluster, "sh", "-c", "python3 -c 'print(1)'")
    assert code == 127 and "not found" in err
    healthz = f"https://127.0.0.1:{cluster.env['ISTIOTUI_API_PORT']}/healthz"
    assert _exec(cluster, "curl", "-sS", healthz)[:2] == (0, "ok")
    assert _exec(cluster, "sh", "-c", "echo hi; exit 3")[:2] == (3, "hi\n")
