"""Key facts of the compiled configuration, checked one by one against istiod's behaviour."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from istiotui.local.pilot import EnvoyConfig, PilotError, PilotOptions, compile_mesh
from istiotui.local.pilot.stats import proxy_stats

from .mesh_fixtures import SCENARIOS, bookinfo, client, httpbin, load, pod, service

OPTIONS = PilotOptions(
    log_dir=Path("/logs"), external_hosts={"edition.cnn.com": ("127.30.0.1", 443)}
)
FQDN = "svc.cluster.local"


def build(objects: list[dict[str, Any]], **options: Any) -> EnvoyConfig:
    opts = PilotOptions(**{**OPTIONS.__dict__, **options})
    return compile_mesh(objects, opts)


def listener(cfg: EnvoyConfig, proxy: str, port: int) -> dict[str, Any]:
    """The listener of `proxy` for a declared port (its name says it, as istiod's names do)."""
    for lis in cfg.listeners:
        if lis["name"].startswith(proxy) and lis["name"].rsplit("_", 1)[-1] == str(port):
            return lis
    raise AssertionError(f"no listener of {proxy} on {port}")


def hcm(lis: dict[str, Any]) -> dict[str, Any]:
    return lis["filter_chains"][0]["filters"][0]["typed_config"]


def vhost(lis: dict[str, Any], name: str) -> dict[str, Any]:
    for vh in hcm(lis)["route_config"]["virtual_hosts"]:
        if vh["name"] == name:
            return vh
    raise AssertionError(f"no virtual host {name}")


def cluster(cfg: EnvoyConfig, proxy: str, istio_name: str) -> dict[str, Any]:
    for c in cfg.clusters:
        if c["name"].startswith(proxy) and c["name"].endswith("|" + istio_name):
            return c
    raise AssertionError(f"no cluster {istio_name} for {proxy}")


def endpoints(c: dict[str, Any]) -> list[tuple[str, int]]:
    out = []
    for group in c["load_assignment"]["endpoints"]:
        for ep in group["lb_endpoints"]:
            sock = ep["endpoint"]["address"]["socket_address"]
            out.append((sock["address"], sock["port_value"]))
    return out


def reviews_routes(cfg: EnvoyConfig) -> list[dict[str, Any]]:
    lis = listener(cfg, "productpage", 9080)
    return vhost(lis, f"reviews.bookinfo.{FQDN}:9080")["routes"]


PP = "productpage-v1-6d8bc58dd8-aaaaa.bookinfo"


def test_cluster_names_are_istios_behind_the_proxy_id() -> None:
    cfg = build(SCENARIOS["bookinfo-routing"]())
    for subset in ("", "v1", "v2", "v3"):
        c = cluster(cfg, "productpage", f"outbound|9080|{subset}|reviews.bookinfo.{FQDN}")
        assert c["name"] == f"{PP}|outbound|9080|{subset}|reviews.bookinfo.{FQDN}"
        meta = c["metadata"]["filter_metadata"]["istiotui"]
        assert meta["istio_name"] == f"outbound|9080|{subset}|reviews.bookinfo.{FQDN}"
    v2 = cluster(cfg, "productpage", f"outbound|9080|v2|reviews.bookinfo.{FQDN}")
    assert len(endpoints(v2)) == 1
    assert (
        len(endpoints(cluster(cfg, "productpage", f"outbound|9080||reviews.bookinfo.{FQDN}"))) == 3
    )


def test_header_match_routes_jason_to_v2_and_the_rest_to_v1() -> None:
    first, second = reviews_routes(build(SCENARIOS["bookinfo-routing"]()))
    assert first["match"] == {
        "prefix": "/",
        "headers": [{"name": "end-user", "string_match": {"exact": "jason"}}],
    }
    assert first["route"]["cluster"] == f"{PP}|outbound|9080|v2|reviews.bookinfo.{FQDN}"
    assert second["match"] == {"prefix": "/"}
    assert second["route"]["cluster"] == f"{PP}|outbound|9080|v1|reviews.bookinfo.{FQDN}"


def test_default_retry_policy_and_disabled_timeout() -> None:
    route = reviews_routes(build(SCENARIOS["bookinfo-routing"]()))[0]["route"]
    assert route["timeout"] == "0s"
    policy = route["retry_policy"]
    assert policy["num_retries"] == 2
    assert policy["retry_on"] == (
        "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
    )
    assert policy["host_selection_retry_max_attempts"] == 5
    assert [p["name"] for p in policy["retry_host_predicate"]] == [
        "envoy.retry_host_predicates.previous_hosts"
    ]
    assert "retriable_status_codes" not in policy


def reviews_vs(rule: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "reviews", "namespace": "bookinfo"},
        "spec": {"hosts": ["reviews"], "http": [rule]},
    }


def test_explicit_retries_timeout_and_zero_attempts() -> None:
    rule = {
        "route": [{"destination": {"host": "reviews"}}],
        "timeout": "0.5s",
        "retries": {"attempts": 3, "perTryTimeout": "200ms", "retryOn": "gateway-error,503"},
    }
    route = reviews_routes(build([*bookinfo(), reviews_vs(rule)]))[0]["route"]
    assert route["timeout"] == "0.5s"
    assert route["retry_policy"]["num_retries"] == 3
    assert route["retry_policy"]["per_try_timeout"] == "0.2s"
    assert route["retry_policy"]["retry_on"] == "gateway-error,retriable-status-codes"
    assert route["retry_policy"]["retriable_status_codes"] == [503]
    rule["retries"] = {"attempts": 0}
    route = reviews_routes(build([*bookinfo(), reviews_vs(rule)]))[0]["route"]
    assert "retry_policy" not in route


def test_delay_fault_is_per_million_on_the_route() -> None:
    cfg = build(SCENARIOS["bookinfo-routing"]())
    lis = listener(cfg, "reviews-v2", 9080)
    first = vhost(lis, f"ratings.bookinfo.{FQDN}:9080")["routes"][0]
    fault = first["typed_per_filter_config"]["envoy.filters.http.fault"]
    assert fault["delay"] == {
        "fixed_delay": "7s",
        "percentage": {"numerator": 1000000, "denominator": "MILLION"},
    }
    assert "abort" not in fault
    names = [f["name"] for f in hcm(lis)["http_filters"]]
    assert names == ["envoy.filters.http.fault", "envoy.filters.http.router"]


def test_abort_fault_and_partial_percentage() -> None:
    cfg = build(SCENARIOS["bookinfo-shift"]())
    lis = listener(cfg, "productpage", 9080)
    fault = vhost(lis, f"ratings.bookinfo.{FQDN}:9080")["routes"][0]["typed_per_filter_config"]
    assert fault["envoy.filters.http.fault"]["abort"] == {
        "http_status": 500,
        "percentage": {"numerator": 1000000, "denominator": "MILLION"},
    }
    rule = {
        "route": [{"destination": {"host": "reviews"}}],
        "fault": {"delay": {"fixedDelay": "1.5s", "percentage": {"value": 12.5}}},
    }
    route = reviews_routes(build([*bookinfo(), reviews_vs(rule)]))[0]
    delay = route["typed_per_filter_config"]["envoy.filters.http.fault"]["delay"]
    assert delay == {
        "fixed_delay": "1.5s",
        "percentage": {"numerator": 125000, "denominator": "MILLION"},
    }


def test_weights_become_weighted_clusters_and_zero_is_dropped() -> None:
    route = reviews_routes(build(SCENARIOS["bookinfo-shift"]()))[0]["route"]
    assert "cluster" not in route
    assert route["weighted_clusters"]["clusters"] == [
        {"name": f"{PP}|outbound|9080|v1|reviews.bookinfo.{FQDN}", "weight": 50},
        {"name": f"{PP}|outbound|9080|v3|reviews.bookinfo.{FQDN}", "weight": 50},
    ]


def test_circuit_breaker_thresholds_and_outlier_detection() -> None:
    cfg = build(SCENARIOS["circuit-breaker"]())
    c = cluster(cfg, "fortio", f"outbound|8000||httpbin.default.{FQDN}")
    assert c["circuit_breakers"]["thresholds"] == [
        {
            "max_connections": 1,
            "max_pending_requests": 1,
            "max_requests": 4294967295,
            "max_retries": 4294967295,
            "track_remaining": True,
        }
    ]
    options = c["typed_extension_protocol_options"][
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
    ]
    assert options["common_http_protocol_options"] == {"max_requests_per_connection": 1}
    assert c["outlier_detection"] == {
        "consecutive_5xx": 1,
        "enforcing_consecutive_5xx": 100,
        "interval": "1s",
        "base_ejection_time": "180s",
        "max_ejection_percent": 100,
        "enforcing_success_rate": 0,
    }
    assert c["common_lb_config"] == {"healthy_panic_threshold": {"value": 0.0}}
    assert c["connect_timeout"] == "10s" and c["lb_policy"] == "LEAST_REQUEST"
    # httpbin's container port 80 through its sidecar's inbound side, where an ordinary user's
    # process can bind it (80 → 10080).
    assert endpoints(c) == [("127.20.0.11", 10080)]


def test_subset_policy_overrides_the_top_level_one() -> None:
    dr = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": {"name": "reviews", "namespace": "bookinfo"},
        "spec": {
            "host": "reviews",
            "trafficPolicy": {
                "loadBalancer": {"simple": "ROUND_ROBIN"},
                "connectionPool": {"tcp": {"maxConnections": 5, "connectTimeout": "2s"}},
            },
            "subsets": [
                {"name": "v1", "labels": {"version": "v1"},
                 "trafficPolicy": {"connectionPool": {"tcp": {"maxConnections": 9}}}},
                {"name": "v2", "labels": {"version": "v2"}},
            ],
        },
    }  # fmt: skip
    cfg = build([*bookinfo(), dr])
    v1 = cluster(cfg, "productpage", f"outbound|9080|v1|reviews.bookinfo.{FQDN}")
    v2 = cluster(cfg, "productpage", f"outbound|9080|v2|reviews.bookinfo.{FQDN}")
    assert v1["circuit_breakers"]["thresholds"][0]["max_connections"] == 9
    assert v1["connect_timeout"] == "10s"  # the subset's connectionPool replaces the whole field
    assert v2["circuit_breakers"]["thresholds"][0]["max_connections"] == 5
    assert v2["connect_timeout"] == "2s"
    assert v1["lb_policy"] == v2["lb_policy"] == "ROUND_ROBIN"
    assert endpoints(v1) == [("127.20.0.3", 9080)]  # the pod's sidecar, inbound


def test_mirror_policy_and_its_percentages() -> None:
    cfg = build(SCENARIOS["mirror"]())
    lis = listener(cfg, "curl", 8000)
    route = vhost(lis, f"httpbin.default.{FQDN}:8000")["routes"][0]["route"]
    assert route["cluster"].endswith(f"|outbound|8000|v1|httpbin.default.{FQDN}")
    (mirror,) = route["request_mirror_policies"]
    assert mirror["cluster"].endswith(f"|outbound|8000|v2|httpbin.default.{FQDN}")
    assert mirror["runtime_fraction"]["default_value"] == {
        "numerator": 1000000,
        "denominator": "MILLION",
    }

    def mirrored(extra: dict[str, Any]) -> list[dict[str, Any]]:
        vs = load("httpbin-mirror.yaml")
        rule = vs[0]["spec"]["http"][0]
        rule.pop("mirrorPercentage")
        rule.update(extra)
        cfg = build(httpbin(10, ("v1", "v2")) + client("curl", 20) + vs)
        r = vhost(listener(cfg, "curl", 8000), f"httpbin.default.{FQDN}:8000")["routes"][0]
        return r["route"].get("request_mirror_policies", [])

    assert mirrored({})[0]["runtime_fraction"]["default_value"]["numerator"] == 1000000
    assert mirrored({"mirrorPercentage": {"value": 0}}) == []
    assert (
        mirrored({"mirrorPercentage": {"value": 25.5}})[0]["runtime_fraction"]["default_value"][
            "numerator"
        ]
        == 255000
    )


def test_services_without_a_virtual_service_get_a_default_route() -> None:
    cfg = build(bookinfo())
    (route,) = vhost(listener(cfg, "productpage", 9080), f"details.bookinfo.{FQDN}:9080")["routes"]
    assert route["name"] == "default"
    assert route["match"] == {"prefix": "/"}
    assert route["route"]["cluster"] == f"{PP}|outbound|9080||details.bookinfo.{FQDN}"


def test_short_names_resolve_only_inside_the_clients_namespace() -> None:
    cfg = build(bookinfo() + client("curl", 20))
    same = vhost(listener(cfg, "productpage", 9080), f"reviews.bookinfo.{FQDN}:9080")["domains"]
    other = vhost(listener(cfg, "curl", 9080), f"reviews.bookinfo.{FQDN}:9080")["domains"]
    assert "reviews:9080" in same and "reviews" in same
    assert "reviews:9080" not in other and "reviews.bookinfo:9080" in other


def test_gateway_only_virtual_services_do_not_reach_sidecars() -> None:
    cfg = build(SCENARIOS["bookinfo-routing"]())
    # bookinfo (hosts *, gateways [bookinfo-gateway]) must not route productpage for sidecars.
    routes = vhost(listener(cfg, "reviews-v1", 9080), f"productpage.bookinfo.{FQDN}:9080")["routes"]
    assert [r["route"]["cluster"].split("|", 1)[1] for r in routes] == [
        f"outbound|9080|v1|productpage.bookinfo.{FQDN}"
    ]


def test_ingress_gateway_listens_on_its_pod_address_only() -> None:
    cfg = build(SCENARIOS["ingress"]())
    on_pod = listener(cfg, "istio-ingressgateway", 8080)
    assert on_pod["address"]["socket_address"] == {"address": "127.10.0.101", "port_value": 8080}
    # Nothing of the mesh takes a host port: the way in is the lab's port-forward to the pod.
    assert all(lis["address"]["socket_address"]["address"] != "127.0.0.1" for lis in cfg.listeners)
    vhosts = hcm(on_pod)["route_config"]["virtual_hosts"]
    assert [v["domains"] for v in vhosts] == [["httpbin.example.com", "httpbin.example.com:*"]]
    routes = vhosts[0]["routes"]
    assert [r["match"] for r in routes] == [{"prefix": "/status"}, {"prefix": "/delay"}]
    assert all(
        r["route"]["cluster"].endswith(f"|outbound|8000||httpbin.default.{FQDN}") for r in routes
    )
    assert hcm(on_pod)["route_config"]["name"] == "http.8080"


def test_bookinfo_gateway_port_8080_stays_8080_and_matches_any_host() -> None:
    cfg = build(SCENARIOS["bookinfo-routing"]())
    vhosts = hcm(listener(cfg, "istio-ingressgateway", 8080))["route_config"]["virtual_hosts"]
    assert [v["domains"] for v in vhosts] == [["*"]]
    matches = [r["match"] for r in vhosts[0]["routes"]]
    assert matches[0] == {"path": "/productpage"} and matches[1] == {"prefix": "/static"}


def test_egress_passthrough_by_sni_on_sidecar_and_gateway() -> None:
    cfg = build(SCENARIOS["egress"]())
    side = listener(cfg, "curl", 443)
    assert side["listener_filters"][0]["name"] == "envoy.filters.listener.tls_inspector"
    chain = next(
        c for c in side["filter_chains"]
        if c.get("filter_chain_match", {}).get("server_names") == ["edition.cnn.com"]
    )  # fmt: skip
    proxy = chain["filters"][0]["typed_config"]
    assert proxy["cluster"].endswith(f"|outbound|443|cnn|istio-egressgateway.istio-system.{FQDN}")
    to_gw = cluster(cfg, "curl", f"outbound|443|cnn|istio-egressgateway.istio-system.{FQDN}")
    assert endpoints(to_gw) == [("127.10.0.102", 8443)]
    gw = listener(cfg, "istio-egressgateway", 8443)
    assert gw["address"]["socket_address"]["address"] == "127.10.0.102"
    (gw_chain,) = gw["filter_chains"]
    assert gw_chain["filter_chain_match"] == {"server_names": ["edition.cnn.com"]}
    assert gw_chain["filters"][0]["typed_config"]["cluster"].endswith(
        "|outbound|443||edition.cnn.com"
    )
    external = cluster(cfg, "istio-egressgateway", "outbound|443||edition.cnn.com")
    assert endpoints(external) == [("127.30.0.1", 10443)]  # the stand-in's 443, unprivileged
    # The fallback chain of the sidecar passes unknown SNI through (and so fails locally).
    assert side["filter_chains"][-1]["filters"][0]["typed_config"]["cluster"].endswith(
        "|PassthroughCluster"
    )


def test_outbound_policy_registry_only_answers_502() -> None:
    allow = build(bookinfo())
    block = build(bookinfo(), outbound_policy="REGISTRY_ONLY")
    assert vhost(listener(allow, "productpage", 9080), "allow_any")["routes"][0]["route"][
        "cluster"
    ].endswith("|PassthroughCluster")
    assert vhost(listener(block, "productpage", 9080), "block_all")["routes"][0][
        "direct_response"
    ] == {"status": 502}


def test_match_translation() -> None:
    rule = {
        "match": [
            {
                "uri": {"regex": "/api/v[0-9]+/.*"},
                "ignoreUriCase": True,
                "method": {"exact": "GET"},
                "headers": {"x-canary": {"prefix": "yes"}, "x-present": {}},
                "withoutHeaders": {"x-debug": {"exact": "1"}},
                "queryParams": {"tab": {"exact": "reviews"}},
            },
            {"port": 1234, "uri": {"exact": "/never"}},
        ],
        "route": [{"destination": {"host": "reviews"}}],
    }
    routes = reviews_routes(build([*bookinfo(), reviews_vs(rule)]))
    assert len(routes) == 1  # the second match is for another port
    assert routes[0]["match"] == {
        "safe_regex": {"regex": "/api/v[0-9]+/.*"},
        "case_sensitive": False,
        "headers": [
            {"name": ":method", "string_match": {"exact": "GET"}},
            {"name": "x-canary", "string_match": {"prefix": "yes"}},
            {"name": "x-present", "present_match": True},
            {"name": "x-debug", "string_match": {"exact": "1"}, "invert_match": True},
        ],
        "query_parameters": [{"name": "tab", "string_match": {"exact": "reviews"}}],
    }


def test_unready_pods_are_not_endpoints_but_keep_their_sidecar() -> None:
    objs = [
        service("reviews", "bookinfo", 9080),
        pod("reviews-v1-a", "bookinfo", {"app": "reviews", "version": "v1"}, 1),
        pod("reviews-v2-b", "bookinfo", {"app": "reviews", "version": "v2"}, 2, ready=False),
    ]
    cfg = build(objs)
    assert endpoints(cluster(cfg, "reviews-v1", f"outbound|9080||reviews.bookinfo.{FQDN}")) == [
        ("127.20.0.1", 9080)  # its sidecar's inbound side
    ]
    assert listener(cfg, "reviews-v2", 9080)["address"]["socket_address"]["address"] == "127.20.0.2"


def test_access_log_per_pod_in_istios_format() -> None:
    cfg = build(SCENARIOS["mirror"]())
    log = hcm(listener(cfg, "curl", 8000))["access_log"][0]["typed_config"]
    assert log["path"] == "/logs/default/curl-6d7b9c5f4-xyz12/istio-proxy.log"
    fmt = log["log_format"]["text_format_source"]["inline_string"]
    assert fmt.startswith('[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%')
    assert "%RESPONSE_FLAGS%" in fmt and fmt.endswith("%ROUTE_NAME%\n")
    assert "/logs/default/curl-6d7b9c5f4-xyz12/istio-proxy.log" in cfg.log_files


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"route": [{"destination": {"host": "reviews"}}], "timeout": "soon"},
         "VirtualService bookinfo/reviews: spec.http[0].timeout"),
        ({"route": [{"destination": {"host": "reviews", "subset": "v1"}},
                    {"destination": {"host": "reviews", "subset": "v2"}}]},
         "spec.http[0].route: weights are required"),
        ({"route": [{"destination": {}}]}, "spec.http[0].route[0].destination.host is required"),
        ({"match": [{"uri": {"regex": "(unclosed"}}],
          "route": [{"destination": {"host": "reviews"}}]},
         "spec.http[0].match[0].uri.regex: not a regular expression"),
        ({"route": [{"destination": {"host": "reviews"}}],
          "fault": {"abort": {"percentage": {"value": 10}}}},
         "spec.http[0].fault.abort: httpStatus or grpcStatus is required"),
        ({"route": [{"destination": {"host": "reviews"}}],
          "mirror": {"host": "reviews"}, "mirrorPercentage": {"value": -1}},
         "VirtualService bookinfo/reviews: spec.http[0].mirrorPercentage.value"),
        ({"route": [{"destination": {"host": "reviews"}}],
          "fault": {"abort": {"httpStatus": 500, "percentage": {"value": 150}}}},
         "spec.http[0].fault.abort.percentage.value"),
    ],
)  # fmt: skip
def test_bad_rules_are_named_in_the_error(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(PilotError, match=message.replace("[", r"\[").replace("]", r"\]")):
        build([*bookinfo(), reviews_vs(rule)])


def test_addresses_outside_loopback_are_refused() -> None:
    with pytest.raises(PilotError, match=r"outside 127\.0\.0\.0/8"):
        objects = SCENARIOS["ingress"]()
        gateway_pod = next(
            o for o in objects if o["kind"] == "Pod" and "ingressgateway" in o["metadata"]["name"]
        )
        gateway_pod["status"]["podIP"] = "0.0.0.0"
        build(objects)
    with pytest.raises(PilotError, match="outboundTrafficPolicy"):
        build(bookinfo(), outbound_policy="DENY")


def test_wildcard_destination_rule_applies_and_exact_hosts_win() -> None:
    def rule(name: str, host: str, connections: int) -> dict[str, Any]:
        return {
            "apiVersion": "networking.istio.io/v1",
            "kind": "DestinationRule",
            "metadata": {"name": name, "namespace": "bookinfo"},
            "spec": {
                "host": host,
                "trafficPolicy": {"connectionPool": {"tcp": {"maxConnections": connections}}},
            },
        }

    cfg = build([*bookinfo(), rule("all", f"*.bookinfo.{FQDN}", 7), rule("ratings", "ratings", 3)])
    limits = {
        name: cluster(cfg, "productpage", f"outbound|9080||{name}.bookinfo.{FQDN}")[
            "circuit_breakers"
        ]["thresholds"][0]["max_connections"]
        for name in ("reviews", "ratings")
    }
    assert limits == {"reviews": 7, "ratings": 3}


def test_proxy_stats_keep_one_pods_lines_under_istio_names() -> None:
    text = (
        "cluster.a.ns|outbound|80||x.ns.svc.cluster.local.upstream_rq_total: 3\n"
        "cluster.b.ns|outbound|80||x.ns.svc.cluster.local.upstream_rq_total: 9\n"
        "http.a.ns|outbound_0.0.0.0_80.downstream_rq_total: 3\n"
        "listener.127.20.0.2_80.http.b.ns|outbound_0.0.0.0_80.downstream_rq_2xx: 9\n"
        "listener.127.20.0.1_80.http.a.ns|outbound_0.0.0.0_80.downstream_rq_2xx: 3\n"
        "server.live: 1\n"
    )
    assert proxy_stats(text, "a.ns") == (
        "cluster.outbound|80||x.ns.svc.cluster.local.upstream_rq_total: 3\n"
        "http.outbound_0.0.0.0_80.downstream_rq_total: 3\n"
        "listener.127.20.0.1_80.http.outbound_0.0.0.0_80.downstream_rq_2xx: 3\n"
        "server.live: 1\n"
    )


def test_every_proxy_answers_readiness_on_15021() -> None:
    cfg = build(SCENARIOS["ingress"]())
    side = listener(cfg, "httpbin-v1", 15021)
    assert side["address"]["socket_address"]["address"] == "127.20.0.11"
    gw = listener(cfg, "istio-ingressgateway", 15021)
    assert gw["address"]["socket_address"]["address"] == "127.10.0.101"
    (route,) = hcm(gw)["route_config"]["virtual_hosts"][0]["routes"]
    assert route == {"match": {"path": "/healthz/ready"}, "direct_response": {"status": 200}}
    # The gateway Service's status-port is not turned into an outbound listener.
    assert [x for x in cfg.listeners if x["name"].endswith("|0.0.0.0_15021")] == []


def test_service_entry_endpoints_by_name_need_a_stand_in() -> None:
    entry = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "ServiceEntry",
        "metadata": {"name": "ext", "namespace": "default"},
        "spec": {
            "hosts": ["api.example.com"],
            "ports": [{"number": 80, "name": "http", "protocol": "HTTP"}],
            "resolution": "DNS",
            "endpoints": [{"address": "edition.cnn.com"}, {"address": "lb.example.net"}],
        },
    }
    cfg = build([*client("curl", 20), entry])
    c = cluster(cfg, "curl", "outbound|80||api.example.com")
    # The mapped name goes to its stand-in (address and port); the unknown one is left out.
    assert endpoints(c) == [("127.30.0.1", 10443)]
    assert any("lb.example.net" in w for w in cfg.warnings)


def test_privileged_ports_keep_their_names_and_bind_where_an_ordinary_user_may() -> None:
    cfg = build(SCENARIOS["egress"]())
    side = listener(cfg, "curl", 443)
    assert side["name"].endswith("_443")
    assert side["address"]["socket_address"]["port_value"] == 10443
    stats = {c["name"].split("|", 1)[1] for c in cfg.clusters}
    assert "outbound|443||edition.cnn.com" in stats  # istiod's name, the declared port
    for lis in cfg.listeners:
        assert lis["address"]["socket_address"]["port_value"] >= 1024, lis["name"]
    for c in cfg.clusters:
        for _, port in endpoints(c) if "load_assignment" in c else []:
            assert port >= 1024, c["name"]
