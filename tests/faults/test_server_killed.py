"""The server killed with SIGKILL (no handler runs): everything it started goes with it, and the
next `local up` brings back every object the API had acknowledged, down to the last write."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from kubernetes import client

from faults.conftest import REPO, FaultCluster, MakeCluster, wait_for

LAB = REPO / "scenarios" / "manifests" / "lab"
RULES = """
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: httpbin}
spec:
  host: httpbin
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin}
spec:
  hosts: [httpbin]
  http: [{route: [{destination: {host: httpbin, subset: v1}}]}]
"""


def _processes() -> dict[int, tuple[int, str, str]]:
    """pid → (parent pid, state, command line) of every process we can see."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        table[int(entry.name)] = (int(fields[1]), fields[0], cmdline)
    return table


def _stdout(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/fd/1")
    except OSError:
        return ""


def _descendants(root: int) -> dict[int, str]:
    table = _processes()
    found: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _state, cmdline) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = cmdline
                frontier.append(pid)
    return found


def _still_running(pids: set[int]) -> set[int]:
    table = _processes()
    return {pid for pid in pids if pid in table and table[pid][1] != "Z"}


def _objects(cluster: FaultCluster) -> dict[tuple[str, str, str], tuple[str, object]]:
    """(kind, namespace, name) → (uid, spec or data) of what a user creates."""
    out: dict[tuple[str, str, str], tuple[str, object]] = {}
    with cluster.api() as api:
        core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
        custom = client.CustomObjectsApi(api)
        lists = {
            "Namespace": core.list_namespace().items,
            "Service": core.list_service_for_all_namespaces().items,
            "ConfigMap": core.list_config_map_for_all_namespaces().items,
            "Deployment": apps.list_deployment_for_all_namespaces().items,
            "Pod": core.list_pod_for_all_namespaces().items,
        }
        for kind, items in lists.items():
            for o in items:
                body = api.sanitize_for_serialization(o)
                what = body.get("spec", body.get("data"))
                if kind == "Pod":
                    what = None  # the pods are the controller's: their names stay, not their specs
                key = (kind, o.metadata.namespace or "", o.metadata.name)
                out[key] = (o.metadata.uid, what)
        for plural in ("virtualservices", "destinationrules"):
            for o in custom.list_cluster_custom_object("networking.istio.io", "v1", plural)[
                "items"
            ]:
                key = (plural, o["metadata"]["namespace"], o["metadata"]["name"])
                out[key] = (o["metadata"]["uid"], o["spec"])
    return out


def _ready(cluster: FaultCluster) -> None:
    waited = cluster.kubectl("wait", "--for=condition=Ready", "pod", "--all", "--timeout=120s")
    assert waited.returncode == 0, waited.stderr


def test_sigkill_takes_every_process_and_up_restores_every_object(
    fault_cluster: MakeCluster,
) -> None:
    cluster = fault_cluster("sigkill", data_plane=True)
    assert cluster.kubectl("label", "ns", "default", "istio-injection=enabled").returncode == 0
    files = ["09-httpbin-service.yaml", "09-httpbin-v1.yaml", "09-curl.yaml"]
    applied = cluster.kubectl("apply", *(f for name in files for f in ("-f", str(LAB / name))))
    assert applied.returncode == 0, applied.stderr
    assert cluster.kubectl("apply", "-f", "-", stdin=RULES).returncode == 0
    _ready(cluster)
    server = cluster.pid
    started = _descendants(server)
    assert any("envoy" in cmd for cmd in started.values()), started
    # httpbin's pod: forked from the workloads' parent, it shows that parent's command line;
    # its stdout is its container's log.
    assert any(_stdout(pid).endswith("/httpbin.log") for pid in started), started
    # The last write before the kill: acknowledged, so it must survive.
    last = cluster.kubectl("create", "configmap", "last-word", "--from-literal=k=v")
    assert last.returncode == 0, last.stderr
    before = _objects(cluster)

    os.kill(server, signal.SIGKILL)
    wait_for(lambda: not _still_running({server, *started}), "every process of the cluster to go")
    os.waitpid(server, 0)  # this test run started it: reap it, as init does for a user's server

    # The same API port again at once: ports are checked as the server binds them (TIME_WAIT on
    # the old connections does not refuse it), and Envoy's admin takes a free one.
    up = cluster.istiotui("local", "up")
    assert up.returncode == 0, up.stderr
    assert "Traceback" not in up.stderr
    _ready(cluster)
    after = _objects(cluster)
    assert after == before
    assert cluster.pid != server
