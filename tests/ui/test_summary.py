"""The tree's one-line summaries: pure functions over the objects the API returns."""

from __future__ import annotations

from datetime import UTC, datetime

from istiotui.mesh import summary as s
from istiotui.mesh.labels import selects

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def vs(*rules: dict) -> dict:
    return {"kind": "VirtualService", "spec": {"hosts": ["reviews"], "http": list(rules)}}


def to(subset: str, weight: int | None = None) -> dict:
    out: dict = {"destination": {"host": "reviews", "subset": subset}}
    if weight is not None:
        out["weight"] = weight
    return out


JASON = [{"headers": {"end-user": {"exact": "jason"}}}]


def test_weighted_split() -> None:
    assert s.summarise(vs({"route": [to("v1", 50), to("v3", 50)]})) == "reviews → v1 50% · v3 50%"


def test_header_match_then_default() -> None:
    text = s.summarise(vs({"match": JASON, "route": [to("v2")]}, {"route": [to("v1")]}))
    assert text == "jason → v2 · reviews → v1"


def test_fault_injection_names_who_gets_it() -> None:
    delay = {"delay": {"percentage": {"value": 100.0}, "fixedDelay": "7s"}}
    abort = {"abort": {"percentage": {"value": 50}, "httpStatus": 500}}
    assert "delay 7s (jason)" in s.summarise(
        vs({"match": JASON, "route": [to("v2")], "fault": delay})
    )
    assert "abort 500 50% (jason)" in s.summarise(
        vs({"match": JASON, "route": [to("v2")], "fault": abort})
    )


def test_mirror_and_timeout() -> None:
    rule = {"route": [to("v1")], "mirror": {"host": "reviews", "subset": "v2"}, "timeout": "0.5s"}
    assert s.summarise(vs(rule)) == "reviews → v1 · mirror v2 · timeout 0.5s"


def test_destination_rule_pool_and_outlier() -> None:
    dr = {
        "kind": "DestinationRule",
        "spec": {
            "host": "httpbin",
            "trafficPolicy": {
                "connectionPool": {"tcp": {"maxConnections": 1}},
                "outlierDetection": {"consecutive5xxErrors": 1, "interval": "1s"},
            },
        },
    }
    assert s.summarise(dr) == "maxConnections 1 · outlier 1×5xx/1s"
    subsets = {"kind": "DestinationRule", "spec": {"subsets": [{"name": "v1"}, {"name": "v2"}]}}
    assert s.summarise(subsets) == "subsets v1 v2"


def test_pod_ready_restarts_and_age() -> None:
    pod = {
        "kind": "Pod",
        "metadata": {"creationTimestamp": "2025-12-31T22:00:00Z"},
        "spec": {"containers": [{"name": "app"}, {"name": "istio-proxy"}]},
        "status": {
            "phase": "Running",
            "containerStatuses": [{"ready": True, "restartCount": 3}, {"ready": False}],
        },
    }
    assert s.summarise(pod, NOW) == "1/2 Running restarts 3 120m"  # kubectl: minutes up to 3h


def test_age_units_like_kubectl() -> None:
    assert s.age("2025-12-31T23:59:15Z", NOW) == "45s"
    assert s.age("2025-12-29T00:00:00Z", NOW) == "3d"
    # kubectl's rules, not the largest unit alone: 5m30s, 2d5h.
    assert s.age("2025-12-31T23:54:30Z", NOW) == "5m30s"
    assert s.age("2025-12-29T19:00:00Z", NOW) == "2d5h"
    assert s.age(None, NOW) == "?"
    assert s.age("yesterday", NOW) == "?"


def test_deployment_service_gateway_serviceentry() -> None:
    dep = {"kind": "Deployment", "spec": {"replicas": 2}, "status": {"readyReplicas": 1}}
    assert s.summarise(dep) == "1/2 ready"
    svc = {"kind": "Service", "spec": {"type": "NodePort", "ports": [{"port": 80}, {"port": 443}]}}
    assert s.summarise(svc) == "NodePort :80,443"
    gw = {
        "kind": "Gateway",
        "spec": {
            "servers": [
                {"port": {"number": 80, "protocol": "HTTP"}, "hosts": ["httpbin.example.com"]}
            ]
        },
    }
    assert s.summarise(gw) == "httpbin.example.com :80/HTTP"
    se = {
        "kind": "ServiceEntry",
        "spec": {
            "hosts": ["edition.cnn.com"],
            "ports": [{"number": 443}],
            "location": "MESH_EXTERNAL",
        },
    }
    assert s.summarise(se) == "edition.cnn.com :443 MESH_EXTERNAL"
    assert s.summarise({"kind": "ConfigMap"}) == ""


def test_selector_and_istio_version() -> None:
    assert selects({"app": "reviews"}, {"app": "reviews", "version": "v1"}, empty_selects_all=False)
    assert not selects({"app": "reviews"}, {"app": "ratings"}, empty_selects_all=False)
    assert not selects({}, {"app": "reviews"}, empty_selects_all=False)
    assert selects(None, {"app": "reviews"}, empty_selects_all=True)
    istiod = {
        "metadata": {"name": "istiod"},
        "spec": {"template": {"spec": {"containers": [{"image": "docker.io/istio/pilot:1.24.2"}]}}},
    }
    other = {"metadata": {"name": "ratings"}, "spec": {}}
    assert s.istio_version([other, istiod]) == "1.24.2"
    assert s.istio_version([other]) is None
