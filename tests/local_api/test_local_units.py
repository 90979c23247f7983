"""The pure parts without a server: patches, field ownership, tables, kinds, the store."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from istiotui.local import managed_fields as mf
from istiotui.local import status as st
from istiotui.local.controller import pod_suffix, template_hash
from istiotui.local.store import Store
from istiotui.mesh import kinds
from istiotui.mesh.durations import human_duration
from istiotui.mesh.patch import PatchError, json_patch, merge_patch, strategic_merge_patch
from istiotui.mesh.tables import table

POD = kinds.by_kind("", "Pod")
CM = kinds.by_kind("", "ConfigMap")
VS = kinds.by_kind("networking.istio.io", "VirtualService")
DEPLOY = kinds.by_kind("apps", "Deployment")
assert POD and CM and VS and DEPLOY


def test_kinds_table_lookups() -> None:
    assert kinds.lookup("vs") is VS
    assert kinds.lookup("virtualservices.networking.istio.io") is VS
    assert kinds.lookup("deploy") is DEPLOY
    assert kinds.by_plural("networking.istio.io", "v1alpha3", "virtualservices") is VS
    assert (
        kinds.for_object({"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService"})
        is VS
    )
    assert (
        kinds.for_object({"apiVersion": "networking.istio.io/v2", "kind": "VirtualService"}) is None
    )
    assert kinds.split_api_version("apps/v1") == ("apps", "v1")


def test_merge_patch_rfc7386() -> None:
    assert merge_patch({"a": "b", "c": {"d": "e", "f": "g"}}, {"a": "z", "c": {"f": None}}) == {
        "a": "z",
        "c": {"d": "e"},
    }
    assert merge_patch({"l": [1, 2]}, {"l": [3]}) == {"l": [3]}


def test_json_patch_rfc6902() -> None:
    doc = {"spec": {"hosts": ["a"], "x": 1}}
    out = json_patch(
        doc,
        [
            {"op": "add", "path": "/spec/hosts/-", "value": "b"},
            {"op": "replace", "path": "/spec/x", "value": 2},
            {"op": "copy", "from": "/spec/x", "path": "/spec/y"},
            {"op": "test", "path": "/spec/y", "value": 2},
            {"op": "remove", "path": "/spec/x"},
        ],
    )
    assert out == {"spec": {"hosts": ["a", "b"], "y": 2}}
    assert doc == {"spec": {"hosts": ["a"], "x": 1}}  # never changed in place
    with pytest.raises(PatchError, match="test operation failed"):
        json_patch(doc, [{"op": "test", "path": "/spec/x", "value": 9}])
    with pytest.raises(PatchError, match="does not exist"):
        json_patch(doc, [{"op": "replace", "path": "/nope/x", "value": 9}])


def test_strategic_merge_patch_as_kubectl_apply_sends_it() -> None:
    live = {
        "metadata": {"finalizers": ["a"]},
        "spec": {
            "containers": [
                {"name": "app", "image": "v1", "env": [{"name": "A", "value": "1"}]},
                {"name": "old", "image": "x"},
            ],
            "ports": [{"port": 80, "name": "http"}],
        },
    }
    patch = {
        "metadata": {"finalizers": ["b"]},
        "spec": {
            "$setElementOrder/containers": [{"name": "app"}],
            "containers": [
                {"name": "app", "image": "v2", "env": [{"name": "B", "value": "2"}]},
                {"name": "old", "$patch": "delete"},
            ],
            "ports": [{"port": 80, "targetPort": 8080}],
        },
    }
    out = strategic_merge_patch(live, patch)
    assert out["metadata"]["finalizers"] == ["a", "b"]
    (app,) = out["spec"]["containers"]
    assert app["image"] == "v2"
    assert app["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert out["spec"]["ports"] == [{"port": 80, "name": "http", "targetPort": 8080}]
    replaced = strategic_merge_patch(live, {"spec": {"$patch": "replace", "ports": []}})
    assert replaced["spec"] == {"ports": []}


def test_apply_owns_fields_and_removes_what_it_drops() -> None:
    now = "2026-01-01T00:00:00Z"
    cfg = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": {"a": "1"}},
        "data": {"x": "1", "y": "2"},
    }
    live = mf.apply(None, cfg, manager="m", force=False, api_version="v1", now=now, builtin=True)
    (entry,) = live["metadata"]["managedFields"]
    assert entry["manager"] == "m" and entry["operation"] == "Apply"
    assert entry["fieldsV1"] == {
        "f:data": {"f:x": {}, "f:y": {}},
        "f:metadata": {"f:labels": {"f:a": {}}},
    }

    # Another writer (an Update) takes the field it changes.
    edited = json.loads(json.dumps(live))
    edited["data"]["y"] = "changed"
    edited = mf.record_update(
        live, edited, manager="editor", api_version="v1", now=now, builtin=True
    )
    owners = {e["manager"]: mf.decode(e["fieldsV1"]) for e in edited["metadata"]["managedFields"]}
    assert owners["editor"] == {("f:data", "f:y")}
    assert ("f:data", "f:y") not in owners["m"]

    # Applying without y: y now belongs to "editor", so it stays; x dropped and only m's: removed.
    smaller = {**cfg, "data": {"z": "3"}}
    out = mf.apply(
        edited, smaller, manager="m", force=False, api_version="v1", now=now, builtin=True
    )
    assert out["data"] == {"y": "changed", "z": "3"}


def test_apply_conflicts_unless_forced() -> None:
    now = "2026-01-01T00:00:00Z"
    cfg = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "1"}}
    live = mf.apply(None, cfg, manager="a", force=False, api_version="v1", now=now, builtin=True)
    other = {**cfg, "data": {"x": "2"}}
    with pytest.raises(mf.ApplyConflict) as err:
        mf.apply(live, other, manager="b", force=False, api_version="v1", now=now, builtin=True)
    assert err.value.conflicts == [("a", ("f:data", "f:x"))]
    same = mf.apply(live, cfg, manager="b", force=False, api_version="v1", now=now, builtin=True)
    assert {e["manager"] for e in same["metadata"]["managedFields"]} == {"a", "b"}  # shared
    forced = mf.apply(live, other, manager="b", force=True, api_version="v1", now=now, builtin=True)
    assert forced["data"] == {"x": "2"}
    assert [e["manager"] for e in forced["metadata"]["managedFields"]] == ["b"]


def test_keyed_lists_in_field_sets() -> None:
    pod = {
        "spec": {"containers": [{"name": "app", "image": "i", "ports": [{"containerPort": 80}]}]}
    }
    paths = mf.field_set(pod, builtin=True)
    item = ("f:spec", "f:containers", 'k:{"name":"app"}')
    assert (*item, ".") in paths and (*item, "f:image") in paths
    assert (*item, "f:ports", 'k:{"containerPort":80}', "f:containerPort") in paths
    # Custom resources: lists are atomic.
    assert mf.field_set({"spec": {"hosts": ["a"]}}, builtin=False) == {("f:spec", "f:hosts")}


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (59, "59s"), (119, "119s"), (125, "2m5s"), (600, "10m"), (3 * 3600, "3h"),
     (3 * 3600 + 120, "3h2m"), (30 * 3600, "30h"), (3 * 86400 + 3600, "3d1h"), (10 * 86400, "10d"),
     (800 * 86400, "2y70d"), (9 * 365 * 86400, "9y")],
)  # fmt: skip
def test_age_as_kubectl_writes_it(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def test_pod_table_row() -> None:
    pod = {
        "metadata": {"name": "p", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"containers": [{"name": "a"}, {"name": "istio-proxy"}]},
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {"name": "a", "ready": True, "restartCount": 1},
                {"name": "istio-proxy", "ready": False, "restartCount": 2},
            ],
        },
    }
    t = table(POD, [pod], datetime(2026, 1, 1, 0, 5, tzinfo=UTC))
    assert [c["name"] for c in t["columnDefinitions"] if c["priority"] == 0] == [
        "Name", "Ready", "Status", "Restarts", "Age",
    ]  # fmt: skip
    assert t["rows"][0]["cells"][:5] == ["p", "1/2", "Running", 3, "5m"]
    assert t["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_store_versions_generation_and_persistence(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    store = Store(path)
    vs = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "r"},
        "spec": {"hosts": ["a"]},
    }
    created = store.create(VS, "default", vs)
    assert created["metadata"]["generation"] == 1
    same = store.update(
        VS, "default", {**created, "metadata": {**created["metadata"], "labels": {"l": "1"}}}
    )
    assert same["metadata"]["generation"] == 1  # metadata only
    changed = store.update(VS, "default", {**same, "spec": {"hosts": ["b"]}})
    assert changed["metadata"]["generation"] == 2
    assert int(changed["metadata"]["resourceVersion"]) > int(same["metadata"]["resourceVersion"])
    with pytest.raises(st.ApiError) as err:
        store.update(VS, "default", {**same, "spec": {"hosts": ["c"]}})  # stale
    assert err.value.code == 409

    reloaded = Store(path)
    assert reloaded.get(VS, "default", "r") == store.get(VS, "default", "r")
    assert reloaded.rv == store.rv


def test_store_deleting_a_namespace_deletes_its_objects() -> None:
    store = Store()
    ns = kinds.by_kind("", "Namespace")
    assert ns
    store.create(ns, "", {"metadata": {"name": "gone"}})
    store.create(CM, "gone", {"metadata": {"name": "c"}})
    store.delete(ns, "", "gone")
    assert store.find(CM, "gone", "c") is None
    with pytest.raises(st.ApiError) as err:
        store.create(CM, "gone", {"metadata": {"name": "c"}})
    assert err.value.status()["message"] == 'namespaces "gone" not found'


async def test_store_watch_sees_objects_enter_and_leave_a_selection() -> None:
    store = Store()
    w, first = store.watch(
        CM, "default", lambda o: o["metadata"].get("labels", {}).get("s") == "y", None
    )
    assert first == []
    c = store.create(CM, "default", {"metadata": {"name": "c", "labels": {"s": "n"}}})
    c = store.update(CM, "default", {**c, "metadata": {**c["metadata"], "labels": {"s": "y"}}})
    store.update(CM, "default", {**c, "metadata": {**c["metadata"], "labels": {"s": "n"}}})
    got = [await asyncio.wait_for(w.queue.get(), 1) for _ in range(2)]
    assert [(e.type, e.new["metadata"]["labels"]["s"]) for e in got] == [
        ("ADDED", "y"),
        ("DELETED", "n"),
    ]


def test_pod_names_are_stable() -> None:
    template = {"metadata": {"labels": {"app": "reviews"}}, "spec": {"containers": [{"name": "r"}]}}
    h = template_hash("bookinfo", "reviews-v1", template)
    assert h == template_hash("bookinfo", "reviews-v1", json.loads(json.dumps(template)))
    assert len(h) == 10 and h != template_hash("default", "reviews-v1", template)
    assert pod_suffix("bookinfo", "reviews-v1", h, 0) != pod_suffix("bookinfo", "reviews-v1", h, 1)
    assert set(h + pod_suffix("bookinfo", "reviews-v1", h, 0)) <= set("bcdfghjklmnpqrstvwxz2456789")


def test_server_side_apply_takes_over_client_side_applied_fields() -> None:
    """kubectl apply, then kubectl apply --server-side of a changed manifest: no conflict when
    the live fields still hold what the last client-side apply set (the annotation says so)."""
    now = "2026-01-01T00:00:00Z"
    first = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "1"}}
    live = json.loads(json.dumps(first))
    live["metadata"]["annotations"] = {mf.LAST_APPLIED: json.dumps(first)}
    live = mf.record_update(
        None, live, manager="kubectl-client-side-apply", api_version="v1", now=now, builtin=True
    )
    changed = {**first, "data": {"x": "2"}}
    out = mf.apply(
        live, changed, manager="kubectl", force=False, api_version="v1", now=now, builtin=True
    )
    assert out["data"] == {"x": "2"}
    # Not when someone else changed the field since: that is a real conflict.
    edited = {**live, "data": {"x": "edited"}}
    with pytest.raises(mf.ApplyConflict):
        mf.apply(
            edited, changed, manager="kubectl", force=False, api_version="v1", now=now, builtin=True
        )


def test_a_pod_whose_containers_all_ended_without_restart_is_succeeded_or_failed() -> None:
    from istiotui.local.podstatus import pod_status_for
    from istiotui.local.runtime import ContainerState

    def status(policy: str, code: int) -> dict:
        spec = {"restartPolicy": policy, "containers": [{"name": "curl", "image": "c"}]}
        pod = {"metadata": {"name": "once", "namespace": "plain"}, "spec": spec}
        ended = {"terminated": {"exitCode": code, "reason": "Completed" if code == 0 else "Error"}}
        return pod_status_for(pod, {"curl": False}, "now", {"curl": ContainerState(0, ended)})

    assert status("Never", 0)["phase"] == "Succeeded"  # `kubectl run … -- curl`, done
    assert status("Never", 6)["phase"] == "Failed"
    assert status("OnFailure", 0)["phase"] == "Succeeded"
    # Always: the kubelet restarts it; the pod never ends.
    assert status("Always", 0)["phase"] not in ("Succeeded", "Failed")


def test_a_block_lock_file_is_readable_by_other_users_whatever_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another user's `local up` opens the file read-only to see whether the block is held: a
    # 0600 file (umask 077) would fail it with PermissionError instead.
    import stat
    import tempfile

    from istiotui.local import blocks

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    old = os.umask(0o077)
    try:
        fd = blocks.hold(3)
    finally:
        os.umask(old)
    assert fd is not None
    try:
        path = blocks.lock_path(3)
        assert path.parent == tmp_path
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        assert not blocks.is_free(3)
    finally:
        os.close(fd)
    assert blocks.is_free(3)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as a second user")
def test_a_lock_file_another_user_cannot_read_makes_the_block_taken_with_a_reason(
    request: pytest.FixtureRequest,
) -> None:
    # Versions before 0644 lock files left them 0600: another user's `local up` got a bare
    # PermissionError. Now that block counts as taken, and naming it says why.
    import shutil
    import subprocess
    import sys
    import tempfile

    # Under the machine's temp dir: pytest's own is root's alone, which the other user cannot
    # even pass through (so every open there would fail, hiding what is tested).
    shared = Path(tempfile.mkdtemp(prefix="istiotui-other-user-"))
    shared.chmod(0o1777)
    request.addfinalizer(lambda: shutil.rmtree(shared, ignore_errors=True))
    (shared / "istiotui-block-3.lock").touch(mode=0o600)
    state = shared / "state"
    script = f"""
import os, tempfile
tempfile.tempdir = {str(shared)!r}
from istiotui.local import blocks
from istiotui.local.state import StateDir
print(blocks.hold(3), blocks.is_free(3), blocks.is_free(4))
os.environ["ISTIOTUI_LOCAL_BLOCK"] = "3"
os.makedirs({str(state)!r})
try:
    blocks.choose(StateDir({str(state)!r}))
except blocks.BlockHeld as exc:
    print(exc)
"""
    out = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c",
         script],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    first, reason = out.stdout.splitlines()
    assert first == "None False True"
    assert "address block 3" in reason and "belongs to another user" in reason
    assert "ISTIOTUI_LOCAL_BLOCK" in reason
