"""istiod's `/debug/syncz` read as `istioctl proxy-status` reads it, on hand-written answers.

The local istiod's real answer is tested on the local cluster (tests/e2e/test_walk_explain.py,
tests/ui/test_proxy_screen.py).
"""

from __future__ import annotations

import json

import pytest

from istiotui.mesh.proxy_sync import SyncError, parse_syncz, rows, state


@pytest.mark.parametrize(
    ("sent", "acked", "shown"),
    [
        ("", "", "NOT SENT"),
        ("", "n1", "NOT SENT"),
        ("n2", "n2", "SYNCED"),
        ("n3", "n2", "STALE"),
        ("n3", "", "STALE (never acknowledged)"),
    ],
)
def test_the_state_of_one_type(sent: str, acked: str, shown: str) -> None:
    assert state(sent, acked) == shown


def test_rows_per_proxy_sorted_with_each_type() -> None:
    answer = json.dumps([
        {"proxy": "reviews-v1-abc.bookinfo", "istio_version": "1.24.2",
         "cluster_sent": "a", "cluster_acked": "a", "listener_sent": "b", "listener_acked": "a",
         "endpoint_sent": "c", "endpoint_acked": "c"},
        {"proxy": "details-v1-xyz.bookinfo", "proxy_version": "1.23.0",
         "cluster_sent": "a", "cluster_acked": "a", "listener_sent": "b", "listener_acked": "b",
         "route_sent": "r", "endpoint_sent": "c", "endpoint_acked": "c"},
    ])  # fmt: skip
    found = rows(parse_syncz(answer), "istiod-1.istio-system")
    assert [r["name"] for r in found] == ["details-v1-xyz.bookinfo", "reviews-v1-abc.bookinfo"]
    details, reviews = found
    assert (details["cds"], details["lds"], details["eds"]) == ("SYNCED",) * 3
    assert details["rds"] == "STALE (never acknowledged)" and details["version"] == "1.23.0"
    assert reviews["lds"] == "STALE" and reviews["rds"] == "NOT SENT"
    assert reviews["istiod"] == "istiod-1.istio-system" and reviews["version"] == "1.24.2"
    assert list(reviews) == ["name", "cds", "lds", "eds", "rds", "istiod", "version"]


def test_an_istiod_with_only_the_per_type_map() -> None:
    url = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
    answer = [{"proxy": "p.ns", "resources": {url: {"sent": "x", "acked": "x"}}}]
    [row] = rows(answer, "istiod")
    assert row["rds"] == "SYNCED" and row["cds"] == "NOT SENT"


def test_answers_that_are_not_syncz() -> None:
    assert parse_syncz("null") == []
    with pytest.raises(SyncError, match="not JSON"):
        parse_syncz("404 page not found")
    with pytest.raises(SyncError, match="not a list"):
        parse_syncz('{"proxy": "x"}')
