"""One real local API server per session (started as users start it), used as the cluster the
real-cluster code paths talk to: exec, port-forward, served versions, contexts and limited users."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config

from istiotui.local import daemon
from istiotui.local.state import StateDir
from real.helpers import Server, start_cluster


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The API alone (no Envoy, no workload processes): tests bring their own listeners."""
    state = StateDir(tmp_path_factory.mktemp("real-paths-cluster"))
    started = start_cluster(state, ISTIOTUI_LOCAL_DATA_PLANE="0")
    try:
        yield started
    finally:
        daemon.down(state)


@pytest.fixture(scope="session")
def api(server: Server) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(server.kubeconfig))
    try:
        yield api_client
    finally:
        api_client.close()


@pytest.fixture
def namespace(api: client.ApiClient) -> Iterator[str]:
    """A fresh namespace per test (tests share one server)."""
    name = f"r-{uuid.uuid4().hex[:8]}"
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": name}})
    yield name
    core.delete_namespace(name)


@pytest.fixture
def istio_system(api: client.ApiClient) -> Iterator[str]:
    """Istio's namespace, emptied after the test (tests share one server)."""
    core = client.CoreV1Api(api)
    with contextlib.suppress(client.ApiException):
        core.create_namespace({"metadata": {"name": "istio-system"}})
    yield "istio-system"
    apps = client.AppsV1Api(api)
    for dep in apps.list_namespaced_deployment("istio-system").items:
        apps.delete_namespaced_deployment(dep.metadata.name, "istio-system")
    for svc in core.list_namespaced_service("istio-system").items:
        core.delete_namespaced_service(svc.metadata.name, "istio-system")
    for pod in core.list_namespaced_pod("istio-system").items:
        core.delete_namespaced_pod(pod.metadata.name, "istio-system")


@pytest.fixture(scope="session")
def kubectl() -> str:
    exe = shutil.which("kubectl")
    if exe is None:
        pytest.skip("kubectl is not on PATH (these tests need kubectl 1.32: see FACTS.md)")
    out = subprocess.run([exe, "version", "--client", "-o", "json"], capture_output=True, text=True)
    try:
        minor = int(json.loads(out.stdout)["clientVersion"]["minor"].rstrip("+"))
    except (ValueError, KeyError):
        minor = 0
    if minor < 30:
        pytest.skip(f"these tests need kubectl ≥ 1.30 (WebSocket exec); found: {out.stdout[:120]}")
    return exe


@pytest.fixture
def kubectl_env(server: Server, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["KUBECONFIG"] = str(server.kubeconfig)
    env["KUBECACHEDIR"] = str(tmp_path / "kube-cache")
    env["HOME"] = str(tmp_path)
    return env
