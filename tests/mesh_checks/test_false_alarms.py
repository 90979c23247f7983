"""istioctl's known false alarms, each clean here; and the true positives, still caught.

Every case is analysed the way `istiotui analyze FILES` does (files alone: Deployments stand for
pods, an Istio install's gateways count as present), and where it matters the way the TUI does
(a cluster's state). "Clean" means no warning and no error; Info findings that say what files
alone cannot settle are allowed and asserted where they appear.
"""

from __future__ import annotations

import copy

import pytest

from istiotui.cli.analyze_install import installed_objects
from istiotui.mesh.analysis import Finding, Offline, Severity, analyze

from .builders import deployment, dr, gateway, namespace, pod, route, service, vs


def offline(objects: list[dict]) -> list[Finding]:
    return analyze(objects, offline=Offline(tuple(installed_objects(objects))))


def serious(findings: list[Finding]) -> list[str]:
    return [f"{f.code} {f.where()}" for f in findings if f.severity > Severity.INFO]


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def exported(obj: dict, *to: str) -> dict:
    out = copy.deepcopy(obj)
    out["spec"]["exportTo"] = list(to)
    return out


def service_entry(name: str, host: str, ns: str, *to: str) -> dict:
    spec: dict = {"hosts": [host], "location": "MESH_EXTERNAL", "resolution": "DNS"}
    if to:
        spec["exportTo"] = list(to)
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "ServiceEntry",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def productpage() -> list[dict]:
    labels = {"app": "productpage", "version": "v1"}
    return [service("productpage"), deployment("productpage-v1", labels=labels)]


# -- the gateways an install provides (istio/istio#40861) ---------------------------------------


def test_gateway_of_the_lab_install_is_present_offline() -> None:
    rules = [{"route": [route("productpage")]}]
    objects = [
        *productpage(),
        gateway("bookinfo-gateway", ["*"], port=8080),
        vs("bookinfo", ["*"], rules, gateways=["bookinfo-gateway"]),
    ]
    assert offline(objects) == []
    # On a cluster without the ingress gateway, the same objects are an error (IT0104).
    assert "IT0104" in codes(analyze(objects))


def test_the_install_gateway_counts_even_when_the_files_hold_pods() -> None:
    objects = [pod("curl", labels={"app": "curl"}), gateway("g", ["*"])]
    assert offline(objects) == []


def test_the_egress_gateway_is_present_offline_too() -> None:
    assert offline([gateway("egress", ["edition.cnn.com"], 80, {"istio": "egressgateway"})]) == []


def test_a_gateway_the_files_deploy_themselves_is_judged_with_its_ports() -> None:
    labels = {"istio": "my-gateway"}
    own = [deployment("my-gateway", labels=labels), service("my-gateway", port=80, selector=labels)]
    assert offline([*own, gateway("g", ["*"], 80, labels)]) == []
    wrong_port = offline([*own, gateway("g", ["*"], 9999, labels)])
    assert codes(wrong_port) == ["IT0105"]


def test_a_selector_nothing_known_has_is_an_info_that_says_so() -> None:
    found = offline([gateway("public-gateway", ["*"], selector={"istio": "gateway"})])
    assert codes(found) == ["IT0121"]
    message = found[0].message("en")
    assert "istio=gateway" in message and "istio=ingressgateway" in message
    assert found[0].severity is Severity.INFO


def test_an_istio_operator_among_the_files_brings_its_gateway() -> None:
    iop = {
        "apiVersion": "install.istio.io/v1alpha1",
        "kind": "IstioOperator",
        "metadata": {"name": "custom", "namespace": "istio-system"},
        "spec": {
            "components": {
                "ingressGateways": [
                    {"name": "private-gw", "namespace": "gw", "label": {"istio": "private"}}
                ]
            }
        },
    }
    assert offline([iop, gateway("g", ["*"], 80, {"istio": "private"})]) == []


# -- cross-namespace hosts (istio/istio#22698, #36237) -----------------------------------------


def test_fully_qualified_host_in_another_namespace() -> None:
    rules = [{"route": [route("reviews.default.svc.cluster.local")]}]
    objects = [service("reviews"), vs("cross-namespace", ["reviews"], rules, ns="istio-system")]
    assert offline(objects) == []
    assert analyze(objects) == []


def test_subsets_of_a_destination_rule_in_another_namespace() -> None:
    fq = "reviews.default.svc.cluster.local"
    objects = [
        service("reviews"),
        pod("reviews-v3", labels={"app": "reviews", "version": "v3"}),
        dr("reviews", fq, {"v3": {"version": "v3"}}, ns="istio-system"),
        vs("reviews", ["reviews"], [{"route": [route("reviews", "v3")]}]),
    ]
    assert serious(analyze(objects)) == []


# -- exportTo (istio/istio#35493, #46597, #46269, #39629) --------------------------------------


def test_same_host_in_two_namespaces_each_exported_to_its_own() -> None:
    rules = [{"route": [route("foo.net")]}]
    se = service_entry("foo", "foo.net", "shared")
    a = exported(vs("foo", ["foo.net"], rules, ns="dealer"), "dealer")
    b = exported(vs("foo", ["foo.net"], rules, ns="calculator"), ".")
    assert codes(analyze([se, a, b])) == []
    # Seen together by every namespace, they do conflict.
    a_all, b_all = vs("foo", ["foo.net"], rules, ns="dealer"), vs("foo", ["foo.net"], rules, "x")
    assert codes(analyze([se, a_all, b_all])) == ["IT0107"]


def test_service_entry_exported_to_the_namespace_of_the_virtual_service() -> None:
    rules = [{"route": [route("foobar.staging.mesh")]}]
    route_it = vs("foo-route", ["foo.foo.svc.cluster.local"], rules, ns="bar")
    assert analyze([service_entry("se", "foobar.staging.mesh", "foo", "bar"), route_it]) == []
    # Each exported to its own namespace only, no sidecar sees both: the host is unknown (true).
    hidden = service_entry("se", "foobar.staging.mesh", "foo", ".")
    assert codes(analyze([hidden, exported(route_it, ".")])) == ["IT0102"]


def test_service_exported_elsewhere_routed_from_its_own_namespace() -> None:
    svc = service("name", "namespace-1")
    svc["metadata"]["annotations"] = {"networking.istio.io/exportTo": "namespace-2"}
    routing = vs("name", ["name"], [{"route": [route("name")]}], ns="namespace-1")
    assert analyze([svc, routing]) == []


# -- a VirtualService conflicting with itself (istio/istio#42561) -------------------------------


def test_one_virtual_service_naming_a_host_twice_does_not_conflict_with_itself() -> None:
    hosts = ["atlas", "atlas.services.svc.cluster.local"]
    rules = [{"route": [route("atlas")]}]
    objects = [
        service("atlas", "services"),
        vs("atlas", hosts, rules, ns="services", gateways=["istio-system/internal", "mesh"]),
    ]
    assert "IT0107" not in codes(analyze(objects))


def test_the_same_object_read_twice_does_not_conflict_with_itself() -> None:
    rules = [{"route": [route("reviews")]}]
    one = vs("reviews", ["reviews"], rules)
    assert codes(analyze([service("reviews"), one, copy.deepcopy(one)])) == []
    assert codes(analyze([service("reviews"), dr("r", "reviews"), dr("r", "reviews")])) == []


# -- true positives stay caught, offline as on a cluster ----------------------------------------

V123 = {v: {"version": v} for v in ("v1", "v2", "v3")}


def reviews_files() -> list[dict]:
    return [
        service("reviews", "bookinfo"),
        *[
            deployment(f"reviews-{v}", "bookinfo", {"app": "reviews", "version": v})
            for v in ("v1", "v2", "v3")
        ],
    ]


def both(objects: list[dict]) -> list[list[str]]:
    return [codes(offline(objects)), codes(analyze(objects))]


def test_missing_subset() -> None:
    rules = [{"route": [route("reviews", "v4")]}]
    objects = [
        *reviews_files(),
        dr("reviews", "reviews", V123, "bookinfo"),
        vs("reviews", ["reviews"], rules, "bookinfo"),
    ]
    assert both(objects) == [["IT0101"], ["IT0101"]]
    no_rule = [*reviews_files(), vs("reviews", ["reviews"], rules, "bookinfo")]
    assert both(no_rule) == [["IT0101"], ["IT0101"]]


def test_missing_gateway() -> None:
    rules = [{"route": [route("productpage")]}]
    objects = [
        *productpage(),
        gateway("bookinfo-gateway", ["*"]),
        vs("bookinfo", ["*"], rules, gateways=["bookinfo-gatway"]),
    ]
    assert codes(offline(objects)) == ["IT0103"]


def test_unknown_host() -> None:
    rules = [{"route": [route("reviewz")]}]
    objects = [*reviews_files(), vs("reviews", ["reviews"], rules, "bookinfo")]
    assert both(objects) == [["IT0102"], ["IT0102"]]


def test_namespace_without_injection() -> None:
    objects = [namespace("bookinfo", injected=False), *reviews_files()]
    assert both(objects) == [["IT0111"], ["IT0111"]]


def test_pod_without_sidecar() -> None:
    lonely = pod("reviews-v1-0", "bookinfo", {"app": "reviews", "version": "v1"}, proxy=False)
    objects = [namespace("bookinfo"), service("reviews", "bookinfo"), lonely]
    assert both(objects) == [["IT0112"], ["IT0112"]]


def test_two_virtual_services_for_one_host() -> None:
    rules = [{"route": [route("reviews")]}]
    objects = [
        *reviews_files(),
        vs("reviews", ["reviews"], rules, "bookinfo"),
        vs("reviews-too", ["reviews.bookinfo.svc.cluster.local"], rules, "bookinfo"),
    ]
    assert both(objects) == [["IT0107"], ["IT0107"]]


def test_subset_whose_labels_match_no_pod() -> None:
    rules = [{"route": [route("reviews", "v4")]}]
    subsets = {**V123, "v4": {"version": "v4"}}
    objects = [
        *reviews_files(),
        dr("reviews", "reviews", subsets, "bookinfo"),
        vs("reviews", ["reviews"], rules, "bookinfo"),
    ]
    assert both(objects) == [["IT0109"], ["IT0109"]]


@pytest.mark.parametrize("kind", ["Service", "Gateway"])
def test_what_files_cannot_settle_is_an_info_naming_the_missing_kind(kind: str) -> None:
    rules = [{"route": [route("reviews")]}]
    lone = vs("reviews", ["reviews"], rules, "bookinfo", gateways=["bookinfo-gateway"])
    found = {f.params.get("kind"): f for f in offline([lone])}
    assert found[kind].code == "IT0122" and found[kind].severity is Severity.INFO
    assert f"no {kind} of namespace bookinfo" in found[kind].message("en")
    # On a cluster, the same references are judged: both missing, both errors.
    assert sorted(codes(analyze([lone]))) == ["IT0102", "IT0103"]
