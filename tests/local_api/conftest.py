"""One real local API server per test session, started as users start it (`istiotui local up`),
with the kubernetes client configured from the kubeconfig it writes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config
from local_api_helpers import BOOKMARK_SECONDS, WATCH_HISTORY, Server

from istiotui.local import daemon
from istiotui.local.state import StateDir


@pytest.fixture(scope="module", autouse=True)
def api_alone() -> Iterator[None]:
    """Every local cluster these tests start serves the API alone: no Envoy, no processes."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ISTIOTUI_LOCAL_DATA_PLANE", "0")
        yield


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    state = StateDir(tmp_path_factory.mktemp("local-cluster"))
    # A short watch history so that the 410 Gone test can outrun it with few writes.
    # And frequent bookmarks, so that a watch test sees some within a second.
    settings = {
        "ISTIOTUI_LOCAL_WATCH_HISTORY": str(WATCH_HISTORY),
        "ISTIOTUI_LOCAL_BOOKMARK_SECONDS": str(BOOKMARK_SECONDS),
        # If this test run is killed before its teardown, the server goes with it.
        "ISTIOTUI_LOCAL_EXIT_WITH_PID": str(os.getpid()),
        # The API alone: these tests need no Envoy and no workload processes.
        "ISTIOTUI_LOCAL_DATA_PLANE": "0",
    }
    os.environ.update(settings)
    try:
        running = daemon.up(state, "127.0.0.1", 0)  # port 0: any free port
    finally:
        for key in settings:
            del os.environ[key]
    try:
        yield Server(state, running.url, running.pid)
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
    name = f"t-{uuid.uuid4().hex[:8]}"
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": name}})
    yield name
    core.delete_namespace(name)


@pytest.fixture
def kubectl_env(server: Server, tmp_path: Path) -> dict[str, str]:
    """Environment for kubectl: the server's kubeconfig, a private cache dir."""
    env = dict(os.environ)
    env["KUBECONFIG"] = str(server.kubeconfig)
    env["KUBECACHEDIR"] = str(tmp_path / "kube-cache")
    env["HOME"] = str(tmp_path)
    return env
