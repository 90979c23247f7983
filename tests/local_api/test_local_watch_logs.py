"""Watches (events, resume from a resourceVersion, 410 Gone, bookmarks) and pod logs."""

from __future__ import annotations

import json
import threading

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException
from local_api_helpers import WATCH_HISTORY, Server, wait_for


def _cm(name: str, **labels: str) -> dict:
    return {"metadata": {"name": name, "labels": labels}, "data": {"k": name}}


def test_watch_streams_changes_in_order(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map(namespace, _cm("before", app="w"))
    start_rv = core.list_namespaced_config_map(namespace).metadata.resource_version
    core.create_namespaced_config_map(namespace, _cm("w1", app="w"))
    core.patch_namespaced_config_map("w1", namespace, {"data": {"k": "changed"}})
    core.create_namespaced_config_map(namespace, _cm("other", app="x"))
    core.delete_namespaced_config_map("w1", namespace)

    w = watch.Watch()
    seen = []
    for ev in w.stream(
        core.list_namespaced_config_map,
        namespace,
        label_selector="app=w",
        resource_version=start_rv,
        timeout_seconds=5,
    ):
        seen.append((ev["type"], ev["object"].metadata.name))
        if ev["type"] == "DELETED":
            w.stop()
    assert seen == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]


def test_watch_without_version_lists_first_then_follows(
    api: client.ApiClient, namespace: str
) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map(namespace, _cm("first"))
    w = watch.Watch()
    seen = []

    def later() -> None:
        core.create_namespaced_config_map(namespace, _cm("second"))

    for ev in w.stream(core.list_namespaced_config_map, namespace, timeout_seconds=5):
        seen.append((ev["type"], ev["object"].metadata.name))
        if len(seen) == 1:
            threading.Thread(target=later).start()
        if len(seen) == 2:
            w.stop()
    assert seen == [("ADDED", "first"), ("ADDED", "second")]


def test_watch_from_a_version_too_old_is_gone(server: Server) -> None:
    url = f"{server.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1"
    # Fill history past its window (the session's server keeps a short one), so that
    # revision 1 falls out of it.
    api_client = client.ApiClient(server.configuration())
    core = client.CoreV1Api(api_client)
    core.create_namespaced_config_map("default", _cm("churn"))
    for n in range(WATCH_HISTORY):
        core.patch_namespaced_config_map("churn", "default", {"data": {"n": str(n)}})
    core.delete_namespaced_config_map("churn", "default")
    with server.open(server.authorized(url)) as resp:
        event = json.loads(resp.readline())
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"
    with pytest.raises(ApiException) as err:
        for _ in watch.Watch().stream(
            core.list_namespaced_config_map, "default", resource_version="1", timeout_seconds=2
        ):
            pass
    assert err.value.status == 410


def test_bookmarks_carry_the_latest_version(server: Server, namespace: str) -> None:
    url = (
        f"{server.url}/api/v1/namespaces/{namespace}/pods?watch=true&allowWatchBookmarks=true"
        "&timeoutSeconds=1"
    )
    # The session's server sends bookmarks every BOOKMARK_SECONDS; the watch ends on its timeout.
    with server.open(server.authorized(url), timeout=10) as resp:
        events = [json.loads(line) for line in resp.read().splitlines() if line.strip()]
    marks = [e for e in events if e["type"] == "BOOKMARK"]
    assert marks and len(marks) == len(events)  # nothing else happens in a fresh namespace
    current = client.CoreV1Api(client.ApiClient(server.configuration()))
    latest = int(current.list_namespaced_pod(namespace).metadata.resource_version)
    for mark in marks:
        assert mark["object"]["kind"] == "Pod"
        assert 0 < int(mark["object"]["metadata"]["resourceVersion"]) <= latest


def _pod(name: str, *containers: str) -> dict:
    return {
        "metadata": {"name": name},
        "spec": {
            "containers": [{"name": c, "image": "docker.io/curlimages/curl"} for c in containers]
        },
    }


def test_pod_logs_from_the_state_dir(api: client.ApiClient, server: Server, namespace: str) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_pod(namespace, _pod("talker", "app", "helper"))
    wait_for(
        lambda: core.read_namespaced_pod("talker", namespace).status.phase == "Running",
        "the pod to run",
    )
    log_dir = server.state.logs / namespace / "talker"
    (log_dir / "app.log").write_text("one\ntwo\nthree\n")
    assert core.read_namespaced_pod_log("talker", namespace, container="app") == "one\ntwo\nthree\n"
    assert core.read_namespaced_pod_log("talker", namespace, container="app", tail_lines=2) == (
        "two\nthree\n"
    )
    assert core.read_namespaced_pod_log("talker", namespace, container="helper") == ""
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod_log("talker", namespace)
    assert err.value.status == 400
    assert "a container name must be specified for pod talker, choose one of: [app helper]" in (
        err.value.body
    )
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod_log("talker", namespace, container="nope")
    assert "container nope is not valid for pod talker" in err.value.body


def test_follow_streams_new_lines(api: client.ApiClient, server: Server, namespace: str) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_pod(namespace, _pod("follower", "app"))
    wait_for(
        lambda: core.read_namespaced_pod("follower", namespace).status.phase == "Running",
        "the pod to run",
    )
    log = server.state.logs / namespace / "follower" / "app.log"
    log.write_text("old\n")
    resp = core.read_namespaced_pod_log(
        "follower", namespace, follow=True, _preload_content=False, tail_lines=1
    )
    try:
        assert resp.read(4) == b"old\n"
        with log.open("a") as f:
            f.write("new line\n")
        assert resp.read(9) == b"new line\n"
    finally:
        resp.close()  # the stream is still open: drop the connection, never reuse it
