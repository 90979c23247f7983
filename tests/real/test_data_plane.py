"""The lab's own exec commands, verbatim, through the local data plane (Envoy behind the API):
`kubectl exec deploy/curl -c curl -- curl …` and `kubectl exec $FORTIO_POD -c fortio --
/usr/bin/fortio load …` against httpbin, requests leaving through the client pod's sidecar; and
the real-cluster exec vantage over the same path.

They start a local cluster with its data plane, on ports of their own; when its Envoy does not
answer (the data plane is not wired), they skip and say so.
"""

from __future__ import annotations

import os
import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

from istiotui.cluster.objects import Objects
from istiotui.local import daemon
from istiotui.local.state import StateDir
from istiotui.traffic.engine import ProbeSpec
from istiotui.traffic.vantage import Vantages, probe
from real.helpers import Server, start_cluster, wait_for

SAMPLES = Path(__file__).resolve().parents[2] / "scenarios" / "manifests" / "samples"
BLOCK = "7"  # kept for this module by tests/conftest.py (RESERVED_BLOCKS): 127.150.x.y


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means it listens
    except OSError:
        return False


@dataclass(frozen=True)
class Mesh:
    server: Server
    api: client.ApiClient
    namespace: str
    env: dict[str, str]  # for kubectl


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    """A local cluster with its data plane (Envoy, workload processes) on ports of its own, with
    the curl, httpbin and fortio samples in an injected namespace."""
    state = StateDir(tmp_path_factory.mktemp("data-plane"))
    admin = _free_port()
    settings = {
        "ISTIOTUI_LOCAL_DATA_PLANE": "1",
        "ISTIOTUI_ENVOY_ADMIN_PORT": str(admin),
        "ISTIOTUI_LOCAL_BLOCK": BLOCK,
    }
    api = None
    try:
        server = start_cluster(state, **settings)
        api = config.new_client_from_config(config_file=str(state.kubeconfig))
        assert _answers(f"http://127.0.0.1:{admin}/ready"), (
            f"the local cluster's Envoy (admin http://127.0.0.1:{admin}) does not answer"
        )
        env = {**os.environ, "KUBECONFIG": str(state.kubeconfig), "HOME": str(state.root)}
        yield Mesh(server, api, _deploy(api), env)
    finally:
        if api is not None:
            api.close()
        daemon.down(state)


def _deploy(api: client.ApiClient) -> str:
    namespace = "lab"
    client.CoreV1Api(api).create_namespace(
        {"metadata": {"name": namespace, "labels": {"istio-injection": "enabled"}}}
    )
    objects = Objects(api)
    for sample in ("curl/curl.yaml", "httpbin/httpbin.yaml",
                   "httpbin/sample-client/fortio-deploy.yaml"):  # fmt: skip
        bodies = [b for b in yaml.safe_load_all((SAMPLES / sample).read_text()) if b]
        objects.apply(
            [{**b, "metadata": {**b["metadata"], "namespace": namespace}} for b in bodies]
        )
    core = client.CoreV1Api(api)

    def ready() -> bool:
        pods = core.list_namespaced_pod(namespace).items
        statuses = [c for p in pods for c in p.status.container_statuses or []]
        return len(pods) == 3 and len(statuses) == 6 and all(c.ready for c in statuses)

    wait_for(ready, "curl, httpbin and fortio pods ready 2/2", timeout=90)
    return namespace


def _kubectl(kubectl: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([kubectl, *args], env=env, capture_output=True, text=True, timeout=120)


def test_kubectl_exec_curl_to_httpbin(mesh: Mesh, kubectl: str) -> None:
    done = _kubectl(kubectl, mesh.env, "-n", mesh.namespace, "exec", "deploy/curl", "-c", "curl",
                    "--", "curl", "-sS", "http://httpbin:8000/headers")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert '"Host": "httpbin:8000"' in done.stdout


def test_kubectl_exec_fortio_load(mesh: Mesh, kubectl: str) -> None:
    pods = client.CoreV1Api(mesh.api).list_namespaced_pod(
        mesh.namespace, label_selector="app=fortio"
    )
    fortio_pod = pods.items[0].metadata.name
    done = _kubectl(kubectl, mesh.env, "-n", mesh.namespace, "exec", fortio_pod, "-c", "fortio",
                    "--", "/usr/bin/fortio", "load", "-c", "3", "-qps", "0", "-n", "30",
                    "-loglevel", "Warning", "http://httpbin:8000/get")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Code 200 : 30 (100.0 %)" in done.stdout + done.stderr


async def test_real_cluster_pod_vantage_through_the_sidecar(mesh: Mesh) -> None:
    """The exec vantage (what a real cluster uses), here with a real sidecar on the way."""
    objects = Objects(mesh.api)
    vantages = Vantages(
        cluster="real",
        list_pods=lambda ns, sel: objects.list("v1", "Pod", ns, sel or None),
        get_service=lambda ns, name: objects.get("v1", "Service", name, ns),
        api_client=mesh.api,
    )
    target = vantages.pod_target(mesh.namespace, "app=curl", "curl")
    run = await probe(ProbeSpec(url="http://httpbin:8000/headers", count=6, concurrency=2), target)
    assert run.summary.statuses == {200: 6}
    fortio = vantages.pod_target(mesh.namespace, "app=fortio", "fortio")
    run = await probe(ProbeSpec(url="http://httpbin:8000/get", count=20, concurrency=2), fortio)
    assert run.summary.statuses == {200: 20}
