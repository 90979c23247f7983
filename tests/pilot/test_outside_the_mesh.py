"""Traffic that leaves the mesh or never enters it: the outbound policy, PassthroughCluster to an
external host, and pods without a sidecar (cluster DNS and kube-proxy, no Istio)."""

from __future__ import annotations

from typing import Any

import pytest

from istiotui.local.pilot import PilotError

from .mesh_fixtures import bookinfo, pod
from .test_compile import build, cluster, endpoints, listener, vhost

OPERATOR = {
    "apiVersion": "install.istio.io/v1alpha1",
    "kind": "IstioOperator",
    "metadata": {"name": "installed-state", "namespace": "istio-system"},
    "spec": {"profile": "minimal", "meshConfig": {"accessLogFile": "/dev/stdout"}},
}


def operator(mode: str | None, name: str = "installed-state", created: str = "") -> dict:
    iop: dict[str, Any] = {**OPERATOR, "metadata": {**OPERATOR["metadata"], "name": name}}
    iop["metadata"]["creationTimestamp"] = created
    if mode is not None:
        mesh = {"accessLogFile": "/dev/stdout", "outboundTrafficPolicy": {"mode": mode}}
        iop["spec"] = {**OPERATOR["spec"], "meshConfig": mesh}
    return iop


def chains_by_sni(lis: dict[str, Any]) -> dict[str, str]:
    out = {}
    for chain in lis["filter_chains"]:
        names = (chain.get("filter_chain_match") or {}).get("server_names") or ["*"]
        proxy = chain["filters"][0]["typed_config"]
        for name in names:
            out[name] = proxy["cluster"]
    return out


def test_the_mesh_config_of_the_install_sets_the_outbound_policy() -> None:
    allow = build([*bookinfo(), operator(None)])
    assert vhost(listener(allow, "productpage", 9080), "allow_any")
    block = build([*bookinfo(), operator("REGISTRY_ONLY")])
    assert vhost(listener(block, "productpage", 9080), "block_all")["routes"][0][
        "direct_response"
    ] == {"status": 502}
    # The newest install that says something wins, as istioctl's last install would.
    both = [operator("REGISTRY_ONLY", "a", "2026-01-01T00:00:00Z"),
            operator("ALLOW_ANY", "b", "2026-01-02T00:00:00Z")]  # fmt: skip
    assert vhost(listener(build(bookinfo() + both), "productpage", 9080), "allow_any")
    with pytest.raises(PilotError, match=r"IstioOperator istio-system/installed-state: spec\."
                       r"meshConfig\.outboundTrafficPolicy\.mode: 'DENY'"):  # fmt: skip
        build([*bookinfo(), operator("DENY")])


def test_allow_any_passes_an_external_host_through_to_its_stand_in() -> None:
    cfg = build(bookinfo())  # no ServiceEntry, and no service of the mesh has port 443
    tls = listener(cfg, "productpage", 443)
    sni = chains_by_sni(tls)
    assert sni["edition.cnn.com"].endswith("|PassthroughCluster|edition.cnn.com")
    assert sni["*"].endswith("|PassthroughCluster")  # any other name: nowhere to go
    through = cluster(cfg, "productpage", "PassthroughCluster|edition.cnn.com")
    assert through["metadata"]["filter_metadata"]["istiotui"]["istio_name"] == "PassthroughCluster"
    assert through["alt_stat_name"].endswith("|PassthroughCluster")
    assert endpoints(through) == [("127.30.0.1", 10443)]
    # REGISTRY_ONLY: the same name goes to BlackHoleCluster, and no passthrough cluster exists.
    block = build([*bookinfo(), operator("REGISTRY_ONLY")])
    sni = chains_by_sni(listener(block, "productpage", 443))
    assert set(sni) == {"*"} and sni["*"].endswith("|BlackHoleCluster")
    with pytest.raises(AssertionError):
        cluster(block, "productpage", "PassthroughCluster|edition.cnn.com")


def node_listener(cfg: Any, port: int) -> dict[str, Any]:
    for lis in cfg.listeners:
        if lis["name"] == f"node.127.10.0.0|{port}":
            return lis
    raise AssertionError(f"no node listener on {port}")


def test_a_pod_without_sidecar_reaches_services_as_dns_and_kube_proxy_do() -> None:
    outside = pod("curl-7f8d9c6b5-zzzzz", "plain", {"app": "curl"}, 40, sidecar=False)
    other = pod("sleep-7f8d9c6b5-yyyyy", "bookinfo", {"app": "sleep"}, 41, sidecar=False)
    cfg = build([*bookinfo(), outside, other])
    lis = node_listener(cfg, 9080)
    assert lis["address"]["socket_address"]["address"] == "127.10.0.0"  # the node's address
    # One chain per namespace of sidecar-less pods (its short names), one for anyone else.
    by_source = {}
    for chain in lis["filter_chains"]:
        ranges = (chain.get("filter_chain_match") or {}).get("source_prefix_ranges") or []
        key = tuple(r["address_prefix"] for r in ranges) or ("*",)
        config = chain["filters"][0]["typed_config"]
        assert "access_log" not in config  # kube-proxy writes no Istio access log
        by_source[key] = {vh["name"]: vh for vh in config["route_config"]["virtual_hosts"]}
    assert set(by_source) == {("127.10.0.40",), ("127.10.0.41",), ("*",)}
    plain = by_source[("127.10.0.40",)]["reviews.bookinfo.svc.cluster.local:9080"]
    assert "reviews.bookinfo" in plain["domains"] and "reviews" not in plain["domains"]
    assert "reviews.bookinfo.svc.cluster.local:9080" in plain["domains"]
    same_ns = by_source[("127.10.0.41",)]["reviews.bookinfo.svc.cluster.local:9080"]
    assert "reviews" in same_ns["domains"]
    route = plain["routes"][0]["route"]
    assert route == {"cluster": "node|9080|reviews.bookinfo.svc.cluster.local", "timeout": "0s"}
    unknown = by_source[("*",)]["unresolved"]["routes"][0]
    assert unknown["direct_response"] == {"status": 502}
    # Round robin over every ready endpoint: no subsets, no limits, no outlier detection.
    (rr,) = [c for c in cfg.clusters if c["name"] == route["cluster"]]
    assert rr["lb_policy"] == "ROUND_ROBIN" and "outlier_detection" not in rr
    # (the reviews pods have sidecars: in through their inbound side, as iptables sends it)
    assert sorted(endpoints(rr)) == [("127.20.0.3", 9080), ("127.20.0.4", 9080),
                                     ("127.20.0.5", 9080)]  # fmt: skip
    assert rr["upstream_bind_config"]["source_address"]["address"] == "127.10.0.0"
    # The external host resolves to its stand-in, as public DNS would give its address.
    assert chains_by_sni(node_listener(cfg, 443)) == {"edition.cnn.com": "node|443|edition.cnn.com"}
    # Shared by every sidecar-less pod: one cluster per Service port, not one per pod.
    assert len([c for c in cfg.clusters if c["name"].startswith("node|")]) == 5


def test_a_sidecar_receives_its_pods_traffic_on_an_inbound_chain() -> None:
    cfg = build(bookinfo())
    reviews = "reviews-v1-5fd6d4f8f8-ccccc.bookinfo"
    lis = listener(cfg, reviews, 9080)  # the outbound 9080 listener holds the inbound side too
    assert lis["address"]["socket_address"] == {"address": "127.20.0.3", "port_value": 9080}
    outbound, inbound = lis["filter_chains"]
    ranges = inbound["filter_chain_match"]["source_prefix_ranges"]
    assert [(r["address_prefix"], r["prefix_len"]) for r in ranges] == [
        ("127.10.0.0", 16), ("127.20.0.0", 16)]  # fmt: skip
    own = outbound["filter_chain_match"]["source_prefix_ranges"]
    assert [(r["address_prefix"], r["prefix_len"]) for r in own] == [
        ("127.10.0.3", 32), ("127.0.0.0", 8)]  # fmt: skip
    config = inbound["filters"][0]["typed_config"]
    (vh,) = config["route_config"]["virtual_hosts"]
    assert vh["routes"][0]["route"]["cluster"] == f"{reviews}|inbound|9080||"
    log = config["access_log"][0]["typed_config"]["log_format"]["text_format_source"]
    assert "127.10.0.3:9080 %DOWNSTREAM_REMOTE_ADDRESS%" in log["inline_string"]
    back = cluster(cfg, reviews, "inbound|9080||")
    assert endpoints(back) == [("127.10.0.3", 9080)]
    assert back["upstream_bind_config"]["source_address"]["address"] == "127.0.0.6"
    assert back["metadata"]["filter_metadata"]["istiotui"]["istio_name"] == "inbound|9080||"
    # The caller's clusters leave from its sidecar address, which the server side takes inbound.
    client = cluster(cfg, "productpage", "outbound|9080||reviews.bookinfo.svc.cluster.local")
    assert client["upstream_bind_config"]["source_address"]["address"] == "127.20.0.1"
