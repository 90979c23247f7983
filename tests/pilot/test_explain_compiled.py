"""`istiotui explain`'s walk over what the local pilot compiles, restricted to one proxy.

The pilot's listeners and clusters are put in a config dump's sections as Envoy lists them (the
walk over Envoy's own answer is tests/e2e/test_walk_explain.py); no Envoy runs here.
"""

from __future__ import annotations

from typing import Any

from istiotui.local.pilot import EnvoyConfig, compile_mesh
from istiotui.mesh.explain import ProxyConfig, Request, explain, parse_dump, restrict
from istiotui.mesh.explain.rules import http_rule

from .mesh_fixtures import SCENARIOS, load
from .test_golden import OPTIONS

ADMIN = "type.googleapis.com/envoy.admin.v3."


def as_dump(config: EnvoyConfig) -> dict[str, Any]:
    listeners = [{"name": x["name"], "active_state": {"listener": x}} for x in config.listeners]
    clusters = [{"cluster": c} for c in config.clusters]
    return {
        "configs": [
            {"@type": ADMIN + "ListenersConfigDump", "dynamic_listeners": listeners},
            {"@type": ADMIN + "ClustersConfigDump", "dynamic_active_clusters": clusters},
        ]
    }


def proxy(scenario: str, pod_prefix: str, namespace: str) -> ProxyConfig:
    config = compile_mesh(SCENARIOS[scenario](), OPTIONS)
    ids = {x["name"].split("|", 1)[0] for x in config.listeners}
    [pid] = [i for i in ids if i.startswith(pod_prefix) and i.endswith(f".{namespace}")]
    return parse_dump(restrict(as_dump(config), pid), pid)


def test_jason_and_the_rest_from_productpage() -> None:
    cfg = proxy("bookinfo-routing", "productpage-v1", "bookinfo")
    jason = explain(cfg, Request("GET", "reviews:9080", "/", {"end-user": "jason"}), 9080)
    assert jason.clusters == ["outbound|9080|v2|reviews.bookinfo.svc.cluster.local"]
    assert jason.virtual_service == "bookinfo/reviews"
    assert jason.destinations[0].destination_rule == "bookinfo/reviews"
    assert jason.destinations[0].endpoints  # the reviews-v2 pod's address
    spec = next(o for o in load("bookinfo-rules.yaml") if o["metadata"]["name"] == "reviews"
                and o["kind"] == "VirtualService")["spec"]  # fmt: skip
    assert jason.raw_route is not None and http_rule(spec, jason.raw_route) == 0
    other = explain(cfg, Request("GET", "reviews.bookinfo:9080", "/", {}), 9080)
    assert other.clusters == ["outbound|9080|v1|reviews.bookinfo.svc.cluster.local"]
    assert other.raw_route is not None and http_rule(spec, other.raw_route) == 1


def test_the_breakers_limits_on_the_clients_cluster() -> None:
    cfg = proxy("circuit-breaker", "fortio", "default")
    e = explain(cfg, Request("GET", "httpbin:8000", "/get", {}), 8000)
    [dest] = e.destinations
    assert dest.policies["connection_pool"] == {"max_connections": 1, "max_pending_requests": 1}


def test_egress_sni_chain_on_the_sidecar() -> None:
    cfg = proxy("egress", "curl", "default")
    e = explain(cfg, Request("GET", "edition.cnn.com", "/politics", {}, "https"), 443)
    assert e.sni == ["edition.cnn.com"]
    assert e.clusters == ["outbound|443|cnn|istio-egressgateway.istio-system.svc.cluster.local"]
