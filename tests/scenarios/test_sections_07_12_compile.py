"""Sections 8–11's manifests through the local pilot: what each section means must reach Envoy.

Each section's objects (plus a ready pod per Deployment and the lab's gateways from
`istio-manifests/`) are compiled as the local cluster would; the pilot must accept them without
warnings, and the Envoy configuration must carry the section's point: the circuit breaker's
limits, the mirror to v2, the gateway's routes for httpbin.example.com, the SNI route through the
egress gateway.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from istiotui.local.addresses import pod_ip
from istiotui.local.pilot import EnvoyConfig, PilotOptions, compile_mesh, gateway_objects

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "scenarios" / "manifests"
HTTPBIN = "outbound|8000||httpbin.default.svc.cluster.local"
BASE = 254 * 212  # pod indices away from the ones a running local cluster hands out first


def objects(*paths: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in paths:
        text = (MANIFESTS / path).read_text(encoding="utf-8")
        for doc in yaml.safe_load_all(text):
            if doc:
                doc["metadata"].setdefault("namespace", "default")
                out.append(doc)
    return out


def lab_gateways() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in ("ingress.yaml", "egress.yaml"):
        text = (ROOT / "istio-manifests" / name).read_text(encoding="utf-8")
        for iop in yaml.safe_load_all(text):
            if iop:
                out += gateway_objects(iop)
    return out


def with_pods(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Adds one ready, injected pod per Deployment, as the local controller would."""
    pods = []
    deployments = [o for o in objs if o["kind"] == "Deployment"]
    for index, dep in enumerate(deployments, start=BASE + 1):
        template = dep["spec"]["template"]
        containers = list(template["spec"]["containers"])
        if dep["metadata"]["namespace"] == "default":
            containers.append({"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.24.0"})
        pods.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"{dep['metadata']['name']}-6f7d9c-q{index}",
                    "namespace": dep["metadata"]["namespace"],
                    "labels": template["metadata"]["labels"],
                },
                "spec": {"containers": containers},
                "status": {
                    "phase": "Running",
                    "podIP": pod_ip(index),
                    "conditions": [{"type": "Ready", "status": "True"}],
                },
            }
        )
    return objs + pods


def compiled(*paths: str, tmp_path: Path, extra: list[dict[str, Any]] | None = None) -> EnvoyConfig:
    options = PilotOptions(
        log_dir=tmp_path / "logs", external_hosts={"edition.cnn.com": ("127.30.0.1", 443)}
    )
    mesh = objects(*paths) + (extra or []) + lab_gateways()
    config = compile_mesh(with_pods(mesh), options)
    assert config.warnings == ()
    return config


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_circuit_breaker_limits_reach_the_clients_cluster(tmp_path: Path) -> None:
    config = compiled(
        "samples/httpbin/httpbin.yaml",
        "lab/08-destination-rule-httpbin-circuit-breaker.yaml",
        "samples/httpbin/sample-client/fortio-deploy.yaml",
        tmp_path=tmp_path,
    )
    fortio = [c for c in config.clusters if "fortio-deploy" in c["name"] and HTTPBIN in c["name"]]
    assert len(fortio) == 1
    (limits,) = fortio[0]["circuit_breakers"]["thresholds"]
    assert (limits["max_connections"], limits["max_pending_requests"]) == (1, 1)
    assert fortio[0]["outlier_detection"]["consecutive_5xx"] == 1


def test_mirror_sends_a_copy_to_v2_and_routes_to_v1(tmp_path: Path) -> None:
    # The mirror step replaces the VirtualService; the subsets still come from the step before.
    subsets = [o for o in objects("lab/09-httpbin-all-v1.yaml") if o["kind"] == "DestinationRule"]
    config = compiled(
        "lab/09-httpbin-v1.yaml",
        "lab/09-httpbin-v2.yaml",
        "lab/09-httpbin-service.yaml",
        "lab/09-curl.yaml",
        "lab/09-httpbin-mirror-v2.yaml",
        tmp_path=tmp_path,
        extra=subsets,
    )
    routes = [
        n["route"]
        for n in walk(config.listeners)
        if isinstance(n.get("route"), dict) and "request_mirror_policies" in n["route"]
    ]
    assert routes, "no route mirrors anything"
    assert all("|v1|httpbin" in r["cluster"] for r in routes)
    policies = [p for r in routes for p in r["request_mirror_policies"]]
    assert all("|v2|httpbin" in p["cluster"] for p in policies)
    # mirrorPercentage 100: every request is copied.
    assert {p["runtime_fraction"]["default_value"]["numerator"] for p in policies} == {1_000_000}


def test_before_the_mirror_nothing_is_copied(tmp_path: Path) -> None:
    config = compiled(
        "lab/09-httpbin-v1.yaml",
        "lab/09-httpbin-v2.yaml",
        "lab/09-httpbin-service.yaml",
        "lab/09-curl.yaml",
        "lab/09-httpbin-all-v1.yaml",
        tmp_path=tmp_path,
    )
    assert not [n for n in walk(config.listeners) if "request_mirror_policies" in n]


def test_ingress_gateway_routes_status_and_delay_for_its_host(tmp_path: Path) -> None:
    config = compiled(
        "samples/httpbin/httpbin.yaml",
        "lab/10-httpbin-gateway.yaml",
        "lab/10-httpbin-virtual-service.yaml",
        tmp_path=tmp_path,
    )
    hosts = [
        vh
        for n in walk(config.listeners)
        for vh in n.get("virtual_hosts", [])
        if any(d.startswith("httpbin.example.com") for d in vh.get("domains", []))
    ]
    assert hosts, "no virtual host for httpbin.example.com"
    prefixes = {r["match"].get("prefix") for vh in hosts for r in vh["routes"]}
    assert {"/status", "/delay"} <= prefixes
    assert "/headers" not in prefixes


def test_egress_traffic_is_matched_by_sni_on_the_egress_gateway(tmp_path: Path) -> None:
    config = compiled(
        "samples/curl/curl.yaml",
        "lab/11-service-entry-cnn.yaml",
        "lab/11-egress-gateway-cnn.yaml",
        "lab/11-direct-cnn-through-egress-gateway.yaml",
        tmp_path=tmp_path,
    )
    chains = [
        n
        for n in walk(config.listeners)
        if "edition.cnn.com" in (n.get("filter_chain_match") or {}).get("server_names", [])
    ]
    assert chains, "no filter chain matches SNI edition.cnn.com"
    clusters = {n.get("cluster") for c in chains for n in walk(c) if "cluster" in n}
    assert any("istio-egressgateway" in str(c) for c in clusters), clusters
    assert any(str(c).endswith("outbound|443||edition.cnn.com") for c in clusters), clusters


def test_both_httpbin_services_agree_on_the_port() -> None:
    """Section 9 replaces section 8's Service of the same name; probes use port 8000 in both."""
    paths = ("samples/httpbin/httpbin.yaml", "lab/09-httpbin-service.yaml")
    services = [o for o in objects(*paths) if o["kind"] == "Service"]
    assert len(services) == 2
    ports = {(p["name"], p["port"], p["targetPort"]) for s in services for p in s["spec"]["ports"]}
    assert ports == {("http", 8000, 80)}
