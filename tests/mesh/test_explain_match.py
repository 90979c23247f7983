"""The matcher behind `istiotui explain`, on small hand-written Envoy configurations.

What real dumps look like is tested on the local cluster's Envoy (tests/e2e/test_walk_explain.py)
and on the pilot's own output (tests/pilot/test_explain_compiled.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from istiotui.mesh.explain import ProxyConfig, Request, explain
from istiotui.mesh.explain.accesslog import parse_line
from istiotui.mesh.explain.dump import DumpError, parse_dump, restrict
from istiotui.mesh.explain.match import header_match, path_match, pick_virtual_host, route_match
from istiotui.mesh.explain.policies import percent
from istiotui.mesh.explain.provenance import config_ref
from istiotui.mesh.explain.rules import http_rule, tls_rule


def req(path: str = "/", authority: str = "reviews:9080", **headers: str) -> Request:
    return Request("GET", authority, path, {k.replace("_", "-"): v for k, v in headers.items()})


VHOSTS = [
    {"name": "exact", "domains": ["reviews", "reviews:9080"]},
    {"name": "suffix", "domains": ["*.example.com"]},
    {"name": "longer-suffix", "domains": ["*.api.example.com"]},
    {"name": "prefix", "domains": ["bookinfo.example.com:*"]},
    {"name": "any", "domains": ["*"]},
]


@pytest.mark.parametrize(
    ("authority", "wanted"),
    [
        ("reviews:9080", "exact"),
        ("REVIEWS", "exact"),
        ("x.api.example.com", "longer-suffix"),
        ("shop.example.com", "suffix"),
        ("bookinfo.example.com:8080", "prefix"),
        ("ratings:9080", "any"),
    ],
)
def test_virtual_host_order_is_envoys(authority: str, wanted: str) -> None:
    vh, _ = pick_virtual_host(VHOSTS, authority)
    assert vh is not None and vh["name"] == wanted


def test_no_virtual_host_without_a_catch_all() -> None:
    assert pick_virtual_host(VHOSTS[:2], "ratings:9080") == (None, "")


def test_path_matchers() -> None:
    assert path_match({"prefix": "/status"}, req("/status/200?x=1"))[0]
    assert not path_match({"path": "/productpage"}, req("/productpage/x"))[0]
    assert path_match({"path": "/productpage"}, req("/productpage?u=1"))[0]
    assert path_match({"safe_regex": {"regex": "/api/v[0-9]+/.*"}}, req("/api/v1/products"))[0]
    assert not path_match({"safe_regex": {"regex": "/api"}}, req("/api/v1"))[0]  # full match
    assert path_match({"prefix": "/STATUS", "case_sensitive": False}, req("/status"))[0]
    assert not path_match({"path_separated_prefix": "/api"}, req("/apis"))[0]


def test_header_matchers_and_their_words() -> None:
    jason = {"name": "end-user", "string_match": {"exact": "jason"}}
    assert header_match(jason, req(end_user="jason")) == (
        True,
        "header end-user exact 'jason' ('jason')",
    )
    ok, why = header_match(jason, req())
    assert not ok and why.endswith("(absent)")
    assert header_match({"name": "end-user", "exact_match": "jason"}, req(end_user="jason"))[0]
    regex = {"name": "cookie", "safe_regex_match": {"regex": ".*user=jason.*"}}
    assert header_match(regex, req(cookie="a=b; user=jason"))[0]
    without = {"name": "x-test", "present_match": True, "invert_match": True}
    assert header_match(without, req())[0] and not header_match(without, req(x_test="1"))[0]
    method = {"name": ":method", "string_match": {"exact": "POST"}}
    assert not header_match(method, req())[0]


def test_route_match_names_the_first_clause_that_failed() -> None:
    match = {"prefix": "/", "headers": [{"name": "end-user", "string_match": {"exact": "jason"}}]}
    assert route_match(match, req(end_user="jason"))[0]
    ok, held, failed = route_match(match, req(end_user="bob"))
    assert not ok and held == ["path prefix '/'"] and "'bob'" in failed
    query = {"prefix": "/", "query_parameters": [{"name": "u", "string_match": {"exact": "1"}}]}
    assert route_match(query, req("/x?u=1"))[0] and not route_match(query, req("/x?u=2"))[0]


def _config(routes: list[dict[str, Any]], clusters: list[str]) -> ProxyConfig:
    hcm = {
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": {
            "route_config": {
                "name": "9080",
                "virtual_hosts": [
                    {"name": "reviews", "domains": ["reviews:9080"], "routes": routes}
                ],
            }
        },
    }
    lis = {"name": "0.0.0.0_9080", "filter_chains": [{"filters": [hcm]}]}
    return ProxyConfig("p.ns", [lis], {}, {c: {"name": c} for c in clusters})


V1 = "outbound|9080|v1|reviews.bookinfo.svc.cluster.local"
V3 = "outbound|9080|v3|reviews.bookinfo.svc.cluster.local"
BASE = "outbound|9080||reviews.bookinfo.svc.cluster.local"


def test_nc_names_the_subset_without_a_rule() -> None:
    cfg = _config([{"match": {"prefix": "/"}, "route": {"cluster": V1}}], [BASE])
    e = explain(cfg, req(), 9080)
    assert e.flag == "NC" and "subset v1" in e.reason


def test_one_missing_weighted_cluster_is_a_note_not_nc() -> None:
    weighted = {"clusters": [{"name": V1, "weight": 80}, {"name": V3, "weight": 20}]}
    cfg = _config([{"match": {"prefix": "/"}, "route": {"weighted_clusters": weighted}}], [V1])
    e = explain(cfg, req(), 9080)
    assert e.flag is None and [d.weight for d in e.destinations] == [80, 20]
    assert "20 %" in e.notes[-1]


def test_nr_when_no_route_holds() -> None:
    cfg = _config([{"match": {"path": "/ratings"}, "route": {"cluster": V1}}], [V1])
    e = explain(cfg, req("/reviews/0"), 9080)
    assert e.flag == "NR" and e.skipped[0].failed == "path exact '/ratings' ('/reviews/0')"
    assert explain(cfg, req(authority="other:9080"), 9080).flag == "NR"


def test_no_listener_for_the_port() -> None:
    e = explain(_config([], []), req(), 8000)
    assert e.listener is None and "port 8000" in e.reason


def test_percentages() -> None:
    assert percent({"numerator": 500000, "denominator": "MILLION"}) == 50.0
    assert percent({"numerator": 10}) == 10.0  # HUNDRED is the default denominator
    assert percent(None) == 100.0


def test_config_refs() -> None:
    meta = {"filter_metadata": {"istio": {
        "config": "/apis/networking.istio.io/v1alpha3/namespaces/bookinfo/virtual-service/reviews"
    }}}  # fmt: skip
    ref = config_ref(meta)
    assert ref is not None and ref.ref == "bookinfo/reviews" and ref.kind == "virtual-service"
    assert config_ref({"filter_metadata": {}}) is None


def test_rule_index_from_the_route_match() -> None:
    spec = {
        "http": [
            {"match": [{"headers": {"end-user": {"exact": "jason"}}}], "route": []},
            {"route": []},
        ]
    }
    jason = {"prefix": "/", "headers": [{"name": "end-user", "string_match": {"exact": "jason"}}]}
    assert http_rule(spec, {"match": jason}) == 0
    assert http_rule(spec, {"match": {"prefix": "/"}}) == 1
    assert http_rule({"http": [{"name": "r"}, {"name": "s"}]}, {"name": "s", "match": {}}) == 1


def test_tls_rule_for_sidecars_and_gateways() -> None:
    spec = {
        "tls": [
            {"match": [{"gateways": ["mesh"], "port": 443, "sniHosts": ["edition.cnn.com"]}]},
            {"match": [{"gateways": ["egress"], "port": 443, "sniHosts": ["edition.cnn.com"]}]},
        ]
    }
    assert tls_rule(spec, ["edition.cnn.com"], 443) == 0
    assert tls_rule(spec, ["edition.cnn.com"], 443, gateway=True) == 1
    assert tls_rule(spec, ["other.com"], 443) is None


def test_restrict_keeps_one_proxy_and_drops_its_prefix() -> None:
    dump = {
        "configs": [
            {
                "@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
                "dynamic_active_clusters": [
                    {"cluster": {"name": "a.ns|outbound|80||x"}},
                    {"cluster": {"name": "b.ns|outbound|80||x"}},
                ],
            },
            {
                "@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump",
                "dynamic_route_configs": [
                    {
                        "route_config": {
                            "name": "80",
                            "virtual_hosts": [
                                {"routes": [{"route": {"cluster": "b.ns|outbound|80||x"}}]}
                            ],
                        }
                    },
                ],
            },
        ]
    }
    cfg = parse_dump(restrict(dump, "a.ns"), "a.ns")
    assert list(cfg.clusters) == ["outbound|80||x"] and cfg.route_configs == {}
    assert list(parse_dump(restrict(dump, "b.ns")).route_configs) == ["80"]


def test_not_a_dump() -> None:
    with pytest.raises(DumpError, match="configs"):
        parse_dump({"listeners": []})


def test_access_log_line() -> None:
    # Istio's default format, as the local sidecars write it (pilot/filters.py).
    line = (
        '[2026-12-07T14:20:01.123Z] "GET /reviews/0 HTTP/1.1" 503 NC cluster_not_found - "-" 0 0 0'
        ' - "-" "istiotui-explain-1" "istiotui-explain-1" "reviews:9080" "-" - - 127.20.0.5:9080'
        " 127.10.0.5:41000 - -"
    )
    parsed = parse_line(line)
    assert parsed is not None and parsed.code == 503 and parsed.flags == "NC"
    assert parsed.request_id == "istiotui-explain-1" and parsed.cluster == "-"


def test_host_port_is_stripped_when_the_connection_manager_says_so() -> None:
    cfg = _config([{"match": {"prefix": "/"}, "route": {"cluster": V1}}], [V1])
    cfg.listeners[0]["address"] = {"socket_address": {"address": "0.0.0.0", "port_value": 9080}}
    hcm = cfg.listeners[0]["filter_chains"][0]["filters"][0]["typed_config"]
    hcm["route_config"]["virtual_hosts"][0]["domains"] = ["reviews"]
    assert explain(cfg, req(), 9080).flag == "NR"  # `reviews:9080` is not a domain
    hcm["strip_matching_host_port"] = True
    assert explain(cfg, req(), 9080).clusters == [V1]
