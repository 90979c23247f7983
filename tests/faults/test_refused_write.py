"""A write the data plane refuses is not stored. The regex below passes the API's validation (it
is a Python regex) but Envoy's RE2 has no lookahead: real Envoy refuses the route table. The API
answers 422 Invalid with Envoy's reason, the store keeps the previous object (watchers see the
write and then its undo), and Envoy keeps serving the previous configuration."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator

import pytest
import yaml
from kubernetes import client, watch

from faults.conftest import REPO, FaultCluster, MakeCluster
from istiotui.local import daemon

LAB = REPO / "scenarios" / "manifests" / "lab"
GROUP, VERSION, PLURAL = "networking.istio.io", "v1", "virtualservices"
REFUSED_REGEX = "/(?=status)"  # RE2 has no lookahead


def _vs(name: str, match: dict | None = None) -> dict:
    route: dict = {"route": [{"destination": {"host": "httpbin"}}]}
    if match is not None:
        route["match"] = [match]
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "VirtualService",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"hosts": ["httpbin"], "http": [route]},
    }


@pytest.fixture
def mesh(fault_cluster: MakeCluster) -> Iterator[FaultCluster]:
    """A pod with a sidecar (so Envoy builds route tables for it) and the httpbin Service."""
    cluster = fault_cluster("refused-write", data_plane=True)
    assert cluster.kubectl("label", "ns", "default", "istio-injection=enabled").returncode == 0
    files = ("-f", str(LAB / "09-curl.yaml"), "-f", str(LAB / "09-httpbin-service.yaml"))
    applied = cluster.kubectl("apply", *files)
    assert applied.returncode == 0, applied.stderr
    ready = cluster.kubectl("wait", "--for=condition=Ready", "pod", "--all", "--timeout=120s")
    assert ready.returncode == 0, ready.stderr
    yield cluster


def _route_regexes(cluster: FaultCluster) -> list[str]:
    """The regexes of the route matches Envoy serves, from its own config dump."""
    running = daemon.status(cluster.state)
    assert running is not None and running.envoy_admin, "no Envoy admin in server.json"
    url = f"{running.envoy_admin}/config_dump?resource=dynamic_route_configs"
    with urllib.request.urlopen(url, timeout=10) as resp:
        dump = json.loads(resp.read())
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("safe_regex"), dict):
                found.append(node["safe_regex"]["regex"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(dump)
    return sorted(set(found))


def test_an_update_envoy_refuses_keeps_the_previous_object(mesh: FaultCluster) -> None:
    good = _vs("httpbin", {"uri": {"prefix": "/status"}})
    applied = mesh.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(good))
    assert applied.returncode == 0, applied.stderr
    with mesh.api() as api:
        custom = client.CustomObjectsApi(api)
        stored = custom.get_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "httpbin")
        events: list[tuple[str, dict]] = []
        seen = threading.Event()
        w = watch.Watch()

        def follow() -> None:
            for ev in w.stream(
                custom.list_namespaced_custom_object, GROUP, VERSION, "default", PLURAL,
                resource_version=stored["metadata"]["resourceVersion"], timeout_seconds=60,
            ):  # fmt: skip
                events.append((ev["type"], ev["object"]["spec"]))
                if len(events) == 2:
                    seen.set()
                    w.stop()

        follower = threading.Thread(target=follow, daemon=True)
        follower.start()
        bad = _vs("httpbin", {"uri": {"regex": REFUSED_REGEX}})
        refused = mesh.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(bad))
        assert refused.returncode == 1
        assert refused.stderr.startswith(
            'The VirtualService "httpbin" is invalid: spec: the data plane refused it (nothing '
            "was stored): envoy rejected the update of route table"
        ), refused.stderr
        assert "invalid perl operator: (?=" in refused.stderr

        now = custom.get_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "httpbin")
        assert now["spec"] == stored["spec"]
        assert now["metadata"]["uid"] == stored["metadata"]["uid"]
        # Watchers saw the write, then its undo: they end where the store is.
        assert seen.wait(30), events
        assert events == [("MODIFIED", bad["spec"]), ("MODIFIED", stored["spec"])]
        follower.join(10)
    assert _route_regexes(mesh) == []  # Envoy serves the prefix match, not the refused regex
    # The data plane is not stuck: the next good write goes through.
    better = _vs("httpbin", {"uri": {"regex": "/stat(us)?"}})
    again = mesh.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(better))
    assert again.returncode == 0, again.stderr
    assert _route_regexes(mesh) == ["/stat(us)?"]


def test_a_create_envoy_refuses_leaves_nothing(mesh: FaultCluster) -> None:
    bad = _vs("fresh", {"uri": {"regex": REFUSED_REGEX}})
    with mesh.api() as api:
        custom = client.CustomObjectsApi(api)
        with pytest.raises(client.ApiException) as refused:
            custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, bad)
        status = yaml.safe_load(refused.value.body)
        assert (refused.value.status, status["reason"]) == (422, "Invalid")
        assert status["details"]["name"] == "fresh"
        assert "invalid perl operator" in status["message"]
        with pytest.raises(client.ApiException) as gone:
            custom.get_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "fresh")
        assert gone.value.status == 404
        # Not on disk either: the store file is what a restart loads.
    assert b'"fresh"' not in mesh.state.store_file.read_bytes()
