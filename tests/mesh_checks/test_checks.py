"""Each mesh check: a minimal configuration that trips it and a minimal one that does not."""

from __future__ import annotations

import pytest

from istiotui.mesh.analysis import CATALOGUE, Severity, analyze
from istiotui.mesh.flags import explain, flags_in_access_log_line

from .builders import (
    deployment,
    dr,
    gateway,
    ingress,
    namespace,
    pod,
    reviews_world,
    route,
    service,
    vs,
)

SUBSETS = {"v1": {"version": "v1"}, "v2": {"version": "v2"}, "v3": {"version": "v3"}}


def codes(objects: list[dict]) -> list[str]:
    return [f.code for f in analyze(objects)]


def only_finding(objects: list[dict], code: str):
    found = [f for f in analyze(objects) if f.code == code]
    assert len(found) == 1, [(f.code, f.where()) for f in analyze(objects)]
    return found[0]


def test_catalogue_codes_are_unique_and_bilingual() -> None:
    assert len({c.code for c in CATALOGUE}) == len(CATALOGUE) == 24
    for check in CATALOGUE:
        assert check.es and check.en and check.es != check.en


def test_subset_not_defined() -> None:
    world = reviews_world()
    rule = [{"route": [route("reviews", "v1")]}]
    bad = only_finding([*world, vs("reviews", ["reviews"], rule, "bookinfo")], "IT0101")
    assert bad.field == "spec.http[0].route[0].destination.subset"
    assert bad.severity is Severity.ERROR
    assert "503" in bad.message("en") and "503" in bad.message("es")
    good = [
        *world,
        dr("reviews", "reviews", SUBSETS, "bookinfo"),
        vs("reviews", ["reviews"], rule, "bookinfo"),
    ]
    assert codes(good) == []


def test_destination_host_not_found() -> None:
    bad = only_finding([vs("r", ["reviews"], [{"route": [route("reveiws")]}])], "IT0102")
    assert bad.params["host"] == "reveiws"
    assert codes([service("reviews"), vs("r", ["reviews"], [{"route": [route("reviews")]}])]) == []


def test_service_entry_host_is_known() -> None:
    se = {
        "kind": "ServiceEntry",
        "metadata": {"name": "cnn", "namespace": "default"},
        "spec": {"hosts": ["edition.cnn.com"]},
    }
    rule = [{"route": [route("edition.cnn.com")]}]
    assert "IT0102" in codes([vs("x", ["edition.cnn.com"], rule)])
    assert "IT0102" not in codes([se, vs("x", ["edition.cnn.com"], rule)])


def test_gateway_not_found_and_found() -> None:
    rule = [{"route": [route("httpbin", None)]}]
    objs = [service("httpbin", port=8000), *ingress()]
    bad = only_finding(
        [*objs, vs("httpbin", ["httpbin.example.com"], rule, gateways=["httpbin-gw"])], "IT0103"
    )
    assert bad.field == "spec.gateways[0]"
    good = [
        *objs,
        gateway("httpbin-gw", ["httpbin.example.com"]),
        vs("httpbin", ["httpbin.example.com"], rule, gateways=["httpbin-gw"]),
    ]
    assert codes(good) == []


def test_gateway_selector_unmatched() -> None:
    bad = only_finding([gateway("g", ["*"])], "IT0104")
    assert "istio=ingressgateway" in bad.message()
    assert codes([*ingress(), gateway("g", ["*"])]) == []


def test_gateway_port_not_exposed() -> None:
    bad = only_finding([*ingress(), gateway("g", ["*"], port=8443)], "IT0105")
    assert bad.field == "spec.servers[0].port.number"
    # 80 is the Service's port, 8080 its targetPort (Bookinfo's gateway uses 8080): both fine.
    assert codes([*ingress(), gateway("g", ["*"], port=80)]) == []
    assert codes([*ingress(), gateway("g", ["*"], port=8080)]) == []


def test_virtual_service_host_not_in_gateway() -> None:
    rule = [{"route": [route("httpbin")]}]
    objs = [service("httpbin", port=8000), *ingress(), gateway("g", ["httpbin.example.com"])]
    bad = only_finding([*objs, vs("h", ["httpbin.exmaple.com"], rule, gateways=["g"])], "IT0106")
    assert bad.field == "spec.hosts[0]"
    assert codes([*objs, vs("h", ["httpbin.example.com"], rule, gateways=["g"])]) == []


def test_conflicting_virtual_services() -> None:
    rule = [{"route": [route("reviews")]}]
    base = [service("reviews")]
    bad = only_finding([*base, vs("a", ["reviews"], rule), vs("b", ["reviews"], rule)], "IT0107")
    assert bad.name == "b" and bad.params["other"] == "default/a"
    assert codes([*base, vs("a", ["reviews"], rule)]) == []


def test_conflicting_destination_rules() -> None:
    base = [service("reviews"), pod("r", labels={"app": "reviews", "version": "v1"})]
    subsets = {"v1": {"version": "v1"}}
    bad = only_finding(
        [*base, dr("a", "reviews", subsets), dr("b", "reviews.default.svc.cluster.local", subsets)],
        "IT0108",
    )
    assert bad.name == "b"
    assert codes([*base, dr("a", "reviews", subsets)]) == []


def test_subset_selects_no_pods() -> None:
    world = [
        namespace("bookinfo"),
        service("reviews", "bookinfo"),
        pod("reviews-v1-0", "bookinfo", {"app": "reviews", "version": "v1"}),
    ]
    two = {"v1": {"version": "v1"}, "v2": {"version": "v2"}}
    to_v2 = vs("reviews", ["reviews"], [{"route": [route("reviews", "v2")]}], "bookinfo")
    # Declared but never routed to (as in Istio's destination-rule-all): no finding.
    assert codes([*world, dr("reviews", "reviews", two, "bookinfo")]) == []
    bad = only_finding([*world, dr("reviews", "reviews", two, "bookinfo"), to_v2], "IT0109")
    assert bad.field == "spec.subsets[1].labels"
    assert "UH" in bad.message()
    assert codes([*world, dr("reviews", "reviews", {"v1": {"version": "v1"}}, "bookinfo")]) == []


def test_subset_without_labels() -> None:
    base = [service("reviews"), pod("r", labels={"app": "reviews", "version": "v1"})]
    bad = only_finding([*base, dr("d", "reviews", {"all": {}})], "IT0110")
    # Info only: the lab's egress DestinationRule has a label-less subset on purpose.
    assert bad.severity is Severity.INFO
    assert codes([*base, dr("d", "reviews", {"v1": {"version": "v1"}})]) == []


def test_namespace_not_injected_and_pod_missing_proxy() -> None:
    labels = {"app": "a"}
    bad = only_finding([namespace("shop", injected=False), pod("a", "shop", labels)], "IT0111")
    assert bad.kind == "Namespace" and bad.name == "shop"
    missing = only_finding([namespace("shop"), pod("a", "shop", labels, proxy=False)], "IT0112")
    assert missing.params["pod"] == "a"
    assert codes([namespace("shop"), pod("a", "shop", labels)]) == []


def test_unreachable_rule_after_catch_all() -> None:
    base = [service("reviews")]
    catch_all = {"route": [route("reviews")]}
    jason = {"match": [{"headers": {"end-user": {"exact": "jason"}}}], "route": [route("reviews")]}
    bad = only_finding([*base, vs("r", ["reviews"], [catch_all, jason])], "IT0113")
    assert bad.field == "spec.http[1]"
    assert codes([*base, vs("r", ["reviews"], [jason, catch_all])]) == []


def test_duplicate_match() -> None:
    base = [service("reviews")]
    m = {"match": [{"uri": {"prefix": "/a"}}], "route": [route("reviews")]}
    bad = only_finding([*base, vs("r", ["reviews"], [m, m])], "IT0114")
    assert bad.field == "spec.http[1].match[0]"
    other = {"match": [{"uri": {"prefix": "/b"}}], "route": [route("reviews")]}
    assert codes([*base, vs("r", ["reviews"], [m, other])]) == []


def test_invalid_regex() -> None:
    base = [service("reviews")]
    bad_rule = {"match": [{"uri": {"regex": "/api/(v1"}}], "route": [route("reviews")]}
    found = only_finding([*base, vs("r", ["reviews"], [bad_rule])], "IT0115")
    assert found.field == "spec.http[0].match[0].uri.regex"
    ok_rule = {"match": [{"headers": {"end-user": {"regex": "ja.*"}}}], "route": [route("reviews")]}
    assert codes([*base, vs("r", ["reviews"], [ok_rule])]) == []


def test_single_destination_weight() -> None:
    world = [*reviews_world(), dr("reviews", "reviews", SUBSETS, "bookinfo")]
    bad = only_finding(
        [*world, vs("r", ["reviews"], [{"route": [route("reviews", "v1", 50)]}], "bookinfo")],
        "IT0116",
    )
    assert bad.params["weight"] == 50
    good = vs("r", ["reviews"], [{"route": [route("reviews", "v1", 100)]}], "bookinfo")
    assert codes([*world, good]) == []


def test_weights_not_hundred_is_info_with_the_real_split() -> None:
    world = [*reviews_world(), dr("reviews", "reviews", SUBSETS, "bookinfo")]
    split = [{"route": [route("reviews", "v1", 30), route("reviews", "v3", 30)]}]
    found = only_finding([*world, vs("r", ["reviews"], split, "bookinfo")], "IT0117")
    assert found.severity is Severity.INFO
    assert "v1 50 %" in found.message() and found.params["total"] == 60
    fair = [{"route": [route("reviews", "v1", 50), route("reviews", "v3", 50)]}]
    assert codes([*world, vs("r", ["reviews"], fair, "bookinfo")]) == []


def test_circuit_breaker_the_lab_cannot_trip() -> None:
    base = [service("httpbin", port=8000), pod("h", labels={"app": "httpbin"})]

    def policy(conn: int, pending: int) -> dict:
        return {
            "connectionPool": {
                "tcp": {"maxConnections": conn},
                "http": {"http1MaxPendingRequests": pending},
            }
        }

    found = only_finding([*base, dr("httpbin", "httpbin", policy=policy(10, 10))], "IT0118")
    assert found.params["room"] == 20
    assert codes([*base, dr("httpbin", "httpbin", policy=policy(1, 1))]) == []


def test_mirror_subset_not_defined() -> None:
    base = [service("httpbin", port=8000), pod("h1", labels={"app": "httpbin", "version": "v1"})]
    rule = {"route": [route("httpbin", "v1", 100)], "mirror": {"host": "httpbin", "subset": "v2"}}
    found = only_finding(
        [*base, dr("httpbin", "httpbin", {"v1": {"version": "v1"}}), vs("h", ["httpbin"], [rule])],
        "IT0119",
    )
    assert found.field == "spec.http[0].mirror.subset"
    base.append(pod("h2", labels={"app": "httpbin", "version": "v2"}))
    subsets = {"v1": {"version": "v1"}, "v2": {"version": "v2"}}
    assert codes([*base, dr("httpbin", "httpbin", subsets), vs("h", ["httpbin"], [rule])]) == []


def test_external_host_without_service_entry_under_registry_only() -> None:
    iop = {
        "apiVersion": "install.istio.io/v1alpha1",
        "kind": "IstioOperator",
        "metadata": {"name": "x", "namespace": "istio-system"},
        "spec": {"meshConfig": {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}}},
    }
    rule = {"route": [route("edition.cnn.com")]}
    ext = vs("cnn", ["edition.cnn.com"], [rule])
    assert "IT0120" in codes([iop, ext])
    assert "IT0120" not in codes([ext])  # ALLOW_ANY: the host is let through
    se = {
        "kind": "ServiceEntry",
        "metadata": {"name": "cnn", "namespace": "default"},
        "spec": {"hosts": ["edition.cnn.com"]},
    }
    assert codes([iop, se, ext]) == []


def test_files_alone_let_deployments_stand_for_pods() -> None:
    objs = [
        service("reviews"),
        deployment("reviews-v1", labels={"app": "reviews", "version": "v1"}),
        dr("reviews", "reviews", {"v1": {"version": "v1"}, "v2": {"version": "v2"}}),
        vs("reviews", ["reviews"], [{"route": [route("reviews", "v2")]}]),
    ]
    found = only_finding(objs, "IT0109")
    assert found.params["subset"] == "v2"


@pytest.mark.parametrize(
    ("flag", "words"),
    [
        ("UO", "circuit breaker"),
        ("NR", "no route"),
        ("UH", "no healthy upstream"),
        ("DI", "delay"),
        ("FI", "fault"),
    ],
)
def test_response_flags_explained(flag: str, words: str) -> None:
    assert words in explain(flag)
    assert explain(flag, "es") != explain(flag)


def test_flags_read_from_an_access_log_line() -> None:
    line = (
        '[2026-11-25T10:00:00.000Z] "GET /get HTTP/1.1" 503 UO upstream_reset_before_response'
        '_started{overflow} - "-" 0 81 0 - "-" "fortio.org/fortio-1.69" "id" "httpbin:8000" "-" '
        "outbound|8000||httpbin.default.svc.cluster.local - 10.0.0.1:8000 10.0.0.2:4000 - -"
    )
    assert flags_in_access_log_line(line) == ["UO"]
    assert flags_in_access_log_line(line.replace(" 503 UO ", " 200 - ")) == []
    assert "unknown flag" in explain("ZZ")
