"""State the local cluster cannot use never ends in a traceback: a store.json that does not read
back stops `up` naming the file and what to do, and is kept aside only when the user says so;
pid/info files with garbage are stale (a note says so); an edited kubeconfig is rewritten."""

from __future__ import annotations

import stat

import pytest
import yaml
from kubernetes import client

from faults.conftest import FaultCluster, MakeCluster
from istiotui.cli import exit_codes


def _configmap(cluster: FaultCluster, name: str) -> None:
    made = cluster.kubectl("create", "configmap", name, "--from-literal=k=v")
    assert made.returncode == 0, made.stderr


def _configmaps(cluster: FaultCluster) -> list[str]:
    with cluster.api() as api:
        items = client.CoreV1Api(api).list_namespaced_config_map("default").items
    return sorted(cm.metadata.name for cm in items)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda good: good[: len(good) // 2], id="truncated"),
        pytest.param(lambda good: b"\xff\xfe" + good, id="not-utf8"),
        pytest.param(lambda good: b'{"objects": {"configmaps": [{"kind": "x"}]}}', id="shape"),
        pytest.param(lambda good: b"", id="empty"),
    ],
)
def test_a_corrupt_store_is_named_and_kept_until_the_user_says(
    fault_cluster: MakeCluster, damage
) -> None:  # type: ignore[no-untyped-def]
    cluster = fault_cluster("corrupt-store")
    _configmap(cluster, "kept")
    cluster.stop()
    store = cluster.state.store_file
    bad = damage(store.read_bytes())
    store.write_bytes(bad)

    refused = cluster.istiotui("local", "up")
    assert refused.returncode == exit_codes.UNREACHABLE
    assert "Traceback" not in refused.stderr + refused.stdout
    assert f"its store {store}" in refused.stderr
    assert "istiotui local up --reset-corrupt-state" in refused.stderr
    assert store.read_bytes() == bad  # nothing touched without the user's word
    assert cluster.istiotui("local", "status").returncode == 3  # nothing started

    # A command that would start the cluster says the same, without a traceback.
    probe = cluster.istiotui("analyze", "--local")
    assert probe.returncode != 0 and "Traceback" not in probe.stderr
    assert f"its store {store}" in probe.stderr

    reset = cluster.istiotui("local", "up", "--reset-corrupt-state")
    assert reset.returncode == 0, reset.stderr
    (aside,) = store.parent.glob("store.json.corrupt-*")
    assert aside.read_bytes() == bad
    assert f"kept aside as {aside}; starting empty" in reset.stderr
    assert _configmaps(cluster) == []  # an empty cluster, as the user asked for
    _configmap(cluster, "after")
    assert _configmaps(cluster) == ["after"]


@pytest.mark.parametrize(
    ("pid_text", "info_text"),
    [
        pytest.param("not a pid", "{", id="garbage"),
        pytest.param("", "", id="empty"),
        pytest.param("1", '{"pid": 1, "url": "https://x", "port": 1}', id="someone-else"),
    ],
)
def test_garbage_pid_and_info_files_are_stale_with_a_note(
    fault_cluster: MakeCluster, pid_text: str, info_text: str
) -> None:
    cluster = fault_cluster("stale-files")
    _configmap(cluster, "kept")
    cluster.stop()
    cluster.state.pid_file.write_text(pid_text)
    cluster.state.info_file.write_text(info_text)

    status = cluster.istiotui("local", "status")
    assert status.returncode == 3 and "not running" in status.stdout
    assert "Traceback" not in status.stderr
    up = cluster.istiotui("local", "up")
    assert up.returncode == 0, up.stderr
    assert "Traceback" not in up.stderr
    assert f"note: {cluster.state.pid_file}" in up.stderr and "treated as stale" in up.stderr
    assert _configmaps(cluster) == ["kept"]


def test_a_live_server_with_garbage_info_is_not_started_twice(fault_cluster: MakeCluster) -> None:
    cluster = fault_cluster("garbage-info")
    pid = cluster.pid
    cluster.state.info_file.write_text("[1, 2")
    up = cluster.istiotui("local", "up")
    assert up.returncode == exit_codes.UNREACHABLE and "Traceback" not in up.stderr
    assert f"a local cluster server runs (pid {pid})" in up.stderr
    assert "istiotui local down" in up.stderr
    cluster.stop()  # what `local down` does (this test run is the server's parent)
    assert cluster.istiotui("local", "up").returncode == 0


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda doc: "clusters: [\n  {{{ not yaml", id="unparseable"),
        pytest.param(
            lambda doc: yaml.safe_dump({**doc, "users": [{"name": "istiotui-local", "user": {}}]}),
            id="token-removed",
        ),
        pytest.param(lambda doc: yaml.safe_dump({**doc, "users": []}), id="user-removed"),
    ],
)
def test_an_edited_kubeconfig_is_rewritten_on_up(fault_cluster: MakeCluster, edit) -> None:  # type: ignore[no-untyped-def]
    cluster = fault_cluster("edited-kubeconfig")
    _configmap(cluster, "kept")
    cluster.stop()
    kubeconfig = cluster.state.kubeconfig
    kubeconfig.write_text(edit(yaml.safe_load(kubeconfig.read_text())))

    up = cluster.istiotui("local", "up")
    assert up.returncode == 0, up.stderr
    assert "Traceback" not in up.stderr
    assert f"the local kubeconfig {kubeconfig} was not usable" in up.stderr
    assert "rewritten with a new token" in up.stderr
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    assert _configmaps(cluster) == ["kept"]  # the rewritten file reaches the same objects
    again = cluster.istiotui("local", "down"), cluster.istiotui("local", "up")
    assert [r.returncode for r in again] == [0, 0]
    assert "was not usable" not in again[1].stderr  # a good kubeconfig is kept as it is
