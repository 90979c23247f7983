"""A user bound to one namespace (a bearer token in the local cluster's tokens file): refused
elsewhere with RBAC's 403 message, and the cluster layer shows that refusal, never an empty
list."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

from istiotui.cluster import exec as pod_exec
from istiotui.cluster.errors import ClusterError
from istiotui.cluster.objects import Objects
from istiotui.cluster.watch import Watcher, WatchEvent
from istiotui.local.workloads.local_ca import ca_bundle_path
from real.helpers import CURL_IMAGE, Server, pod_manifest, running_pod, wait_for


@pytest.fixture
def own(api: client.ApiClient) -> Iterator[str]:
    """The limited user's namespace, with one pod in it."""
    name = f"own-{uuid.uuid4().hex[:6]}"
    client.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    running_pod(api, name, pod_manifest("curl", CURL_IMAGE))
    yield name
    client.CoreV1Api(api).delete_namespace(name)


@pytest.fixture
def alice(server: Server, own: str, tmp_path: Path) -> Iterator[client.ApiClient]:
    token = uuid.uuid4().hex
    tokens = server.state.root / "tokens"
    tokens.write_text(f"# limited users\n{token} {own} alice\n")
    kubeconfig = yaml.safe_load(server.kubeconfig.read_text())
    kubeconfig["users"][0]["user"] = {"token": token}
    path = tmp_path / "alice.kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig))
    api = config.new_client_from_config(config_file=str(path))
    try:
        yield api
    finally:
        api.close()
        tokens.unlink()


def test_reads_in_the_own_namespace_and_403_elsewhere(
    alice: client.ApiClient, own: str, namespace: str
) -> None:
    objects = Objects(alice)
    assert [p["metadata"]["name"] for p in objects.list("v1", "Pod", own)] == ["curl"]
    with pytest.raises(ClusterError) as other:
        objects.list("v1", "Pod", namespace)
    assert other.value.status == 403
    assert (
        f'pods is forbidden: User "alice" cannot list resource "pods" in API group "" '
        f'in the namespace "{namespace}"'
    ) in str(other.value)
    with pytest.raises(ClusterError) as everywhere:
        objects.list("networking.istio.io/v1", "VirtualService")
    assert 'cannot list resource "virtualservices" in API group "networking.istio.io" at the ' \
        "cluster scope" in str(everywhere.value)  # fmt: skip
    with pytest.raises(ClusterError) as write:
        objects.apply([{"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "x", "namespace": namespace}}])  # fmt: skip
    assert 'configmaps "x" is forbidden' in str(write.value)
    assert objects.get("v1", "Namespace", own, None)["metadata"]["name"] == own


def test_exec_is_bound_by_the_same_rule(
    alice: client.ApiClient, own: str, api: client.ApiClient
) -> None:
    ok = pod_exec.run(alice, own, "curl", ["echo", "in-pod"])
    assert (ok.code, ok.stdout) == (0, "in-pod\n")
    other = f"exec-{uuid.uuid4().hex[:6]}"
    client.CoreV1Api(api).create_namespace({"metadata": {"name": other}})
    try:
        running_pod(api, other, pod_manifest("curl", CURL_IMAGE))
        with pytest.raises(ClusterError) as refused:
            pod_exec.run(alice, other, "curl", ["echo", "in-pod"])
    finally:
        client.CoreV1Api(api).delete_namespace(other)
    assert refused.value.status == 403
    assert 'cannot create resource "pods/exec"' in str(refused.value)


def test_an_unknown_token_is_unauthorized(server: Server, alice: client.ApiClient) -> None:
    configuration = client.Configuration()
    configuration.host = server.url
    configuration.ssl_ca_cert = str(ca_bundle_path(server.state.root))
    configuration.api_key = {"authorization": "Bearer not-a-token"}
    with client.ApiClient(configuration) as stranger, pytest.raises(client.ApiException) as err:
        client.CoreV1Api(stranger).list_namespaced_pod("default")
    assert err.value.status == 401


def test_the_watcher_reports_forbidden_not_an_empty_tree(alice: client.ApiClient, own: str) -> None:
    objects = Objects(alice)
    events: list[WatchEvent] = []
    seen = threading.Event()

    def on_event(event: WatchEvent) -> None:
        events.append(event)
        if event.type in ("ERROR", "SYNCED"):
            seen.set()

    everywhere = Watcher(objects, [("v1", "Pod")], on_event)
    everywhere.start()
    try:
        assert seen.wait(10), "the watcher reported nothing"
    finally:
        everywhere.stop()
    assert [e.type for e in events] == ["ERROR"]
    assert "forbidden (HTTP 403)" in events[0].message

    events.clear()
    seen.clear()
    mine = Watcher(objects, [("v1", "Pod")], on_event, namespace=own)
    mine.start()
    try:
        wait_for(lambda: any(e.type == "SYNCED" for e in events), "the namespace's pods")
    finally:
        mine.stop()
    assert [(e.type, (e.obj or {}).get("metadata", {}).get("name")) for e in events[:2]] == [
        ("ADDED", "curl"),
        ("SYNCED", None),
    ]


def test_analyze_on_a_cluster_that_refuses_the_read_says_so_and_exits_1(
    alice: client.ApiClient, tmp_path: Path
) -> None:
    """A 403 is the cluster refusing what was asked (kubectl's exit 1), not a wrong command line:
    `analyze` said 2 for any error before."""
    import os
    import subprocess
    import sys

    from istiotui.cli import exit_codes

    kubeconfig = tmp_path / "alice.kubeconfig"
    context = yaml.safe_load(kubeconfig.read_text())["current-context"]
    done = subprocess.run(
        [sys.executable, "-m", "istiotui", "analyze", "--context", context],
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == exit_codes.FAILED, done.stderr
    assert done.stderr.startswith("istiotui analyze: ")
    assert 'is forbidden: User "alice" cannot list resource' in done.stderr
