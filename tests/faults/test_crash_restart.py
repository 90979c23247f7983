"""A container's process killed with SIGKILL is restarted as the kubelet restarts it: RESTARTS
counts, the back-off doubles from 10 s with `CrashLoopBackOff` while it waits, the kubelet's
`BackOff` and `Started` events, and meanwhile the pod is not Ready, so its address moves to the
Endpoints' notReadyAddresses and Envoy stops sending to it; Ready again after the restart."""

from __future__ import annotations

import json
import os
import signal
import urllib.request
from datetime import datetime
from pathlib import Path

from kubernetes import client

from faults.conftest import FaultCluster, MakeCluster, wait_for
from istiotui.local import daemon


def pod_of(address: str) -> str:
    """The pod IP behind a sidecar address (same last two octets, ten lower in the second)."""
    octets = address.split(".")
    if int(octets[1]) % 20:  # a pod address already (a pod without a sidecar)
        return address
    return ".".join([octets[0], str(int(octets[1]) - 10), *octets[2:]])


RATINGS = """
apiVersion: v1
kind: Service
metadata: {name: ratings, labels: {app: ratings}}
spec:
  ports: [{name: http, port: 9080}]
  selector: {app: ratings}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ratings-v1}
spec:
  replicas: 1
  selector: {matchLabels: {app: ratings, version: v1}}
  template:
    metadata: {labels: {app: ratings, version: v1}}
    spec:
      containers:
        - name: ratings
          image: docker.io/istio/examples-bookinfo-ratings-v1:1.20.2
          ports: [{containerPort: 9080}]
"""
CLUSTER = "outbound|9080||ratings.default.svc.cluster.local"


def _ratings_pid(pod: str) -> int | None:
    """The ratings container's process: the one whose output goes to the pod's ratings log
    (containers forked from the workloads' parent share its command line and environ block)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            log = Path(os.readlink(entry / "fd" / "1"))
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        mine = log.name == "ratings.log" and log.parent.name == pod
        if mine and state != "Z":
            return int(entry.name)
    return None


def _pod(cluster: FaultCluster) -> dict:
    with cluster.api() as api:
        pods = client.CoreV1Api(api).list_namespaced_pod("default", label_selector="app=ratings")
        (pod,) = pods.items
        return api.sanitize_for_serialization(pod)


def _ratings_status(cluster: FaultCluster) -> dict:
    return next(c for c in _pod(cluster)["status"]["containerStatuses"] if c["name"] == "ratings")


def _ready(pod: dict) -> bool:
    return any(
        c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", [])
    )


def _endpoints(cluster: FaultCluster) -> tuple[list[str], list[str]]:
    """(ready, not ready) addresses of the ratings Endpoints."""
    with cluster.api() as api:
        eps = client.CoreV1Api(api).read_namespaced_endpoints("ratings", "default")
    body = api.sanitize_for_serialization(eps)
    subsets = body.get("subsets") or [{}]
    return (
        [a["ip"] for a in subsets[0].get("addresses", [])],
        [a["ip"] for a in subsets[0].get("notReadyAddresses", [])],
    )


def _envoy_hosts(cluster: FaultCluster) -> list[str]:
    """The pods Envoy would send the ratings Service's traffic to, from its admin (each pod is
    reached through its sidecar's inbound side: the sidecar address, back to its pod IP)."""
    running = daemon.status(cluster.state)
    assert running is not None and running.envoy_admin
    with urllib.request.urlopen(f"{running.envoy_admin}/clusters?format=json", timeout=10) as r:
        dump = json.loads(r.read())
    # Each proxy has its own clusters here (`<pod>.<ns>|outbound|…`): every one must agree.
    mine = [s for s in dump.get("cluster_statuses", []) if s["name"].endswith("|" + CLUSTER)]
    assert mine, f"Envoy has no cluster {CLUSTER}"
    return [
        pod_of(h["address"]["socket_address"]["address"])
        for status in mine
        for h in status.get("host_statuses", [])
    ]


def _events(cluster: FaultCluster, pod: str, reason: str) -> list[dict]:
    with cluster.api() as api:
        found = client.CoreV1Api(api).list_namespaced_event(
            "default", field_selector=f"involvedObject.name={pod},reason={reason}"
        )
        return [api.sanitize_for_serialization(e) for e in found.items]


def _seconds(later: str, earlier: str) -> float:
    parse = datetime.fromisoformat
    return (parse(later.replace("Z", "+00:00")) - parse(earlier.replace("Z", "+00:00"))).seconds


def _kill(pod: str) -> int:
    pid = wait_for(lambda: _ratings_pid(pod), "the ratings process")
    os.kill(pid, signal.SIGKILL)
    return pid


def test_a_killed_container_restarts_with_kubelets_backoff(fault_cluster: MakeCluster) -> None:
    cluster = fault_cluster("crash-restart", data_plane=True)
    assert cluster.kubectl("label", "ns", "default", "istio-injection=enabled").returncode == 0
    applied = cluster.kubectl("apply", "-f", "-", stdin=RATINGS)
    assert applied.returncode == 0, applied.stderr
    waited = cluster.kubectl("wait", "--for=condition=Ready", "pod", "--all", "--timeout=120s")
    assert waited.returncode == 0, waited.stderr
    pod = _pod(cluster)
    name, ip, uid = pod["metadata"]["name"], pod["status"]["podIP"], pod["metadata"]["uid"]
    assert _endpoints(cluster) == ([ip], [])
    assert wait_for(lambda: ip in _envoy_hosts(cluster), "Envoy to send to the pod")

    # First crash: the kubelet restarts at once (and starts the back-off at 10 s).
    first = _kill(name)
    wait_for(lambda: _ratings_status(cluster)["restartCount"] == 1, "the first restart")
    wait_for(lambda: _ready(_pod(cluster)), "the pod Ready after the first restart")
    status = _ratings_status(cluster)
    terminated = status["lastState"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (137, "Error")
    assert _ratings_pid(name) not in (None, first)

    # Second crash: CrashLoopBackOff for 10 s, not Ready, out of the Service and of Envoy.
    _kill(name)
    status = wait_for(
        lambda: (s := _ratings_status(cluster))["state"].get("waiting") and s, "CrashLoopBackOff"
    )
    waiting = status["state"]["waiting"]
    assert waiting["reason"] == "CrashLoopBackOff"
    assert waiting["message"] == (
        f"back-off 10s restarting failed container=ratings pod={name}_default({uid})"
    )
    assert status["restartCount"] == 1 and not status["ready"]
    table = cluster.kubectl("get", "pods", "-l", "app=ratings", "--no-headers")
    columns = table.stdout.split()
    assert columns[:4] == [name, "1/2", "CrashLoopBackOff", "1"], table.stdout
    assert not _ready(_pod(cluster))
    assert wait_for(lambda: _endpoints(cluster) == ([], [ip]), "the address to be not ready")
    assert wait_for(lambda: ip not in _envoy_hosts(cluster), "Envoy to stop sending to the pod")
    (backoff,) = _events(cluster, name, "BackOff")
    assert backoff["type"] == "Warning"
    assert backoff["message"] == (
        f"Back-off restarting failed container ratings in pod {name}_default({uid})"
    )
    wait_for(lambda: _ready(_pod(cluster)), "the pod Ready after the back-off", timeout=60)
    status = _ratings_status(cluster)
    assert status["restartCount"] == 2
    assert _seconds(status["state"]["running"]["startedAt"],
                    status["lastState"]["terminated"]["finishedAt"]) >= 10  # fmt: skip
    assert wait_for(lambda: _endpoints(cluster) == ([ip], []), "the address ready again")
    assert wait_for(lambda: ip in _envoy_hosts(cluster), "Envoy to send to the pod again")

    # Third crash: the back-off doubled.
    _kill(name)
    status = wait_for(
        lambda: (s := _ratings_status(cluster))["state"].get("waiting") and s, "the second back-off"
    )
    assert status["state"]["waiting"]["message"].startswith("back-off 20s ")
    wait_for(lambda: _ratings_status(cluster)["restartCount"] == 3, "the third restart", 60)
    wait_for(lambda: _ready(_pod(cluster)), "the pod Ready after the second back-off", 60)
    status = _ratings_status(cluster)
    assert _seconds(status["state"]["running"]["startedAt"],
                    status["lastState"]["terminated"]["finishedAt"]) >= 20  # fmt: skip
    (backoff,) = _events(cluster, name, "BackOff")
    assert backoff["count"] == 2
    assert _seconds(backoff["lastTimestamp"], backoff["firstTimestamp"]) >= 10
    started = [
        e for e in _events(cluster, name, "Started") if e["message"] == "Started container ratings"
    ]
    assert [e["count"] for e in started] == [4]  # the first start and three restarts
    described = cluster.kubectl("get", "pods", "-l", "app=ratings", "--no-headers")
    assert described.stdout.split()[1:4] == ["2/2", "Running", "3"], described.stdout
