"""What the app keeps apart from its widgets: objects from watch events, probe rounds, progress."""

from __future__ import annotations

import json
from pathlib import Path

from istiotui.cluster.watch import WatchEvent
from istiotui.traffic.stats import Response
from istiotui.ui import learner_progress as prog
from istiotui.ui import messages as msg
from istiotui.ui.store import ResourceStore, Traffic


def vs(name: str, subset: str) -> dict:
    return {
        "kind": "VirtualService",
        "metadata": {"name": name, "namespace": "bookinfo"},
        "spec": {"http": [{"route": [{"destination": {"host": name, "subset": subset}}]}]},
    }


def test_store_marks_changes_only_after_the_initial_list() -> None:
    now = [100.0]
    store = ResourceStore(lambda: now[0])
    store.apply([WatchEvent("ADDED", "VirtualService", vs("reviews", "v1"))])
    key = ("VirtualService", "bookinfo", "reviews")
    assert key in store.objects and not store.is_marked(key)
    store.apply([WatchEvent("SYNCED", "VirtualService")])
    store.apply([WatchEvent("MODIFIED", "VirtualService", vs("reviews", "v3"))])
    assert store.is_marked(key)
    now[0] += 10
    assert not store.is_marked(key)
    store.apply([WatchEvent("DELETED", "VirtualService", vs("reviews", "v3"))])
    assert key not in store.objects


def test_store_remembers_forbidden_and_lost() -> None:
    store = ResourceStore(lambda: 0.0)
    store.apply([WatchEvent("ERROR", "Pod", message="pods is forbidden")])
    store.apply([WatchEvent("LOST", "Service", message="connection refused")])
    assert store.forbidden == {"Pod": "pods is forbidden"}
    assert store.lost == "connection refused"
    store.apply([WatchEvent("RESTORED", "Service")])
    assert store.lost is None


def test_resource_floods_merge_into_one_message_in_order() -> None:
    first = msg.ResourcesChanged((WatchEvent("ADDED", "Pod", {"metadata": {"name": "a"}}),))
    second = msg.ResourcesChanged((WatchEvent("ADDED", "Pod", {"metadata": {"name": "b"}}),))
    assert first.can_replace(second)
    assert [e.obj["metadata"]["name"] for e in second.events] == ["a", "b"]
    assert not first.can_replace(msg.ClusterRestored())


def test_traffic_running_shares_per_round() -> None:
    traffic = Traffic()
    rows = [Response(200, 0.1, "v1")] * 3 + [Response(200, 0.1, "v3")]
    traffic.add("s", "pages", "reviews-version", rows, 1.0)
    traffic.add("s", "pages", "reviews-version", [Response(200, 0.1, "v3")] * 4, 1.0)
    assert traffic.counts(by_status=False) == [{"v1": 3, "v3": 1}, {"v3": 4}]
    assert traffic.running_shares(by_status=False) == {"v1": [75.0, 37.5], "v3": [25.0, 62.5]}
    traffic.add("other", "pages", "status", [Response(None, 1.0, None, "refused")], 1.0)
    assert len(traffic.rounds) == 1 and traffic.counts(by_status=True) == [{"error": 1}]


def test_progress_round_trip_per_context(tmp_path: Path) -> None:
    saved = prog.Progress("arn:aws:eks:eu-west-1:1:cluster/lab")
    saved.states["routing-all-v1"] = prog.StepState.VERIFIED
    saved.current = "routing-jason-v2"
    path = prog.save(saved, tmp_path)
    assert path.parent == tmp_path and "/" not in path.name.removesuffix(".json")
    loaded = prog.load(saved.context, tmp_path)
    assert loaded.state("routing-all-v1") is prog.StepState.VERIFIED
    assert loaded.current == "routing-jason-v2"
    assert prog.load("istiotui-local", tmp_path).states == {}


def test_progress_unreadable_file_starts_fresh(tmp_path: Path) -> None:
    (tmp_path / "ctx.json").write_text("{not json")
    assert prog.load("ctx", tmp_path).states == {}
    (tmp_path / "ctx.json").write_text(json.dumps({"steps": {"a": "exploded"}}))
    assert prog.load("ctx", tmp_path).states == {}


def test_progress_dir_from_environment() -> None:
    assert prog.progress_dir({"ISTIOTUI_STATE_DIR": "/s"}) == Path("/s/progress")
    assert prog.progress_dir({"XDG_STATE_HOME": "/x"}) == Path("/x/istiotui/progress")
