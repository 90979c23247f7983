"""`local down` means down: every process of the cluster is gone when it returns — Envoy, the
pods, and what `kubectl exec … sh -c '… &'` left running in a session of its own — and its API
port is free; `up` right after 300 requests works at once and brings every object back."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from faults.conftest import REPO, FaultCluster, MakeCluster
from istiotui import process_group
from istiotui.local import daemon
from istiotui.local.workloads import exec_sandbox

LAB = REPO / "scenarios" / "manifests" / "lab"


def _names(cluster: FaultCluster) -> list[str]:
    listed = cluster.kubectl(
        "get", "deploy,svc,pods,virtualservices,destinationrules", "-A", "-o", "name"
    )
    assert listed.returncode == 0, listed.stderr
    return sorted(listed.stdout.split())


def _ready(cluster: FaultCluster) -> None:
    waited = cluster.kubectl("wait", "--for=condition=Ready", "pod", "--all", "--timeout=120s")
    assert waited.returncode == 0, waited.stderr


def _marked(cluster: FaultCluster) -> dict[int, str]:
    out = {}
    for pid in process_group.owned_pids(daemon.owner(cluster.state)):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                out[pid] = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
    return out


def test_down_leaves_nothing_and_up_comes_back_at_once(fault_cluster: MakeCluster) -> None:
    cluster = fault_cluster("down-up", data_plane=True)
    assert cluster.kubectl("label", "ns", "default", "istio-injection=enabled").returncode == 0
    files = ["09-httpbin-service.yaml", "09-httpbin-v1.yaml", "09-curl.yaml"]
    applied = cluster.kubectl("apply", *(f for name in files for f in ("-f", str(LAB / name))))
    assert applied.returncode == 0, applied.stderr
    _ready(cluster)
    # A command that leaves a process behind in a session of its own: exec's process group
    # does not hold it, only the cluster's mark finds it.
    left = cluster.kubectl(
        "exec", "deploy/curl", "-c", "curl", "--",
        "sh", "-c", "setsid sleep 600 >/dev/null 2>&1 < /dev/null & sleep 1",
    )  # fmt: skip
    assert left.returncode == 0, left.stderr
    # 300 requests through the mesh just before going down (connections in TIME_WAIT).
    urls = ["http://httpbin:8000/status/200"] * 300
    traffic = cluster.kubectl(
        "exec", "deploy/curl", "-c", "curl", "--", "curl", "-s", "-o", "/dev/null", *urls
    )
    assert traffic.returncode == 0, traffic.stderr
    running = daemon.status(cluster.state)
    assert running is not None
    before = _names(cluster)
    marked = _marked(cluster)
    # In exec's sandbox the command's processes end with it (its PID namespace ends); in the
    # fallback the leftover runs on, and only the cluster's mark finds it.
    left_running = any("sleep 600" in cmd for cmd in marked.values())
    assert left_running is (exec_sandbox.bwrap() is None), marked
    assert any("envoy" in cmd for cmd in marked.values()), marked

    down = cluster.istiotui("local", "down")
    assert down.returncode == 0, down.stderr
    assert _marked(cluster) == {}, "processes of the cluster outlived `local down`"
    host, port = urlsplit(running.url).hostname, running.port
    with socket.socket() as probe:  # as the server binds it
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))

    up = cluster.istiotui("local", "up")
    assert up.returncode == 0, up.stderr
    assert "Traceback" not in up.stderr
    again = daemon.status(cluster.state)
    assert again is not None and again.port == port  # the learner's KUBECONFIG still works
    _ready(cluster)
    assert _names(cluster) == before
