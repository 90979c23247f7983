"""Real-cluster vantages, run against the local API server as a stand-in cluster: the ingress and
Service vantages through istiotui's own port-forward, in-mesh probes through exec, answering with
the same Response records the probe engine makes."""

from __future__ import annotations

import json

import pytest
from kubernetes import client

from istiotui.cluster.objects import Objects
from istiotui.traffic.engine import ProbeSpec, Target
from istiotui.traffic.stats import Response
from istiotui.traffic.vantage import ExecTarget, Vantages, VantageUnavailable, probe
from real.helpers import CURL_IMAGE, FORTIO_IMAGE, listener, pod_manifest, running_pod


def _vantages(api: client.ApiClient, with_client: bool = True) -> Vantages:
    objects = Objects(api)
    return Vantages(
        cluster="real",
        list_pods=lambda ns, sel: objects.list("v1", "Pod", ns, sel or None),
        get_service=lambda ns, name: objects.get("v1", "Service", name, ns),
        api_client=api if with_client else None,
    )


def _service(api: client.ApiClient, namespace: str, name: str, selector: dict, ports: list):
    body = {"metadata": {"name": name}, "spec": {"selector": selector, "ports": ports}}
    client.CoreV1Api(api).create_namespaced_service(namespace, body)


async def test_ingress_through_a_port_forward_to_the_gateway_pod(
    api: client.ApiClient, istio_system: str
) -> None:
    labels = {"istio": "ingressgateway"}
    body = pod_manifest("istio-ingressgateway-7d4b9", CURL_IMAGE, labels)
    ip = running_pod(api, istio_system, body)["status"]["podIP"]
    vantages = _vantages(api)
    seen: list[Response] = []
    try:
        with listener(ip, "gateway") as port:
            _service(api, istio_system, "istio-ingressgateway", labels,
                     [{"name": "http2", "port": 80, "targetPort": port}])  # fmt: skip
            target = vantages.ingress_target()
            assert target.base_url.startswith("http://127.0.0.1:")
            spec = ProbeSpec(url="/productpage", count=6, concurrency=2, host="bookinfo.example")
            run = await probe(spec, target, seen.append)
    finally:
        vantages.close()
    assert [r.status for r in run.responses] == [200] * 6 and len(seen) == 6
    assert run.summary.classes == {"200": 6}
    assert {r.headers["x-served-by"] for r in run.responses} == {"gateway"}
    assert '"host": "bookinfo.example"' in run.responses[0].body


async def test_service_port_forward_follows_a_named_target_port(
    api: client.ApiClient, namespace: str
) -> None:
    body = pod_manifest("httpbin-1", CURL_IMAGE, {"app": "httpbin"})
    ip = running_pod(api, namespace, body)["status"]["podIP"]
    vantages = _vantages(api)
    try:
        with listener(ip, "httpbin") as port:
            # The container port is declared after the pod runs: only the name maps it.
            core = client.CoreV1Api(api)
            core.delete_namespaced_pod("httpbin-1", namespace)
            body["spec"]["containers"][0]["ports"] = [{"name": "http", "containerPort": port}]
            body["metadata"]["name"] = "httpbin-2"
            running_pod(api, namespace, body)
            _service(api, namespace, "httpbin", {"app": "httpbin"},
                     [{"name": "http", "port": 8000, "targetPort": "http"}])  # fmt: skip
            with pytest.raises(VantageUnavailable, match="has no port 9999"):
                vantages.port_forward_target(namespace, "httpbin", 9999)
            target = vantages.port_forward_target(namespace, "httpbin", 8000)
            run = await probe(ProbeSpec(url="/status/418?status=418", count=3), target)
    finally:
        vantages.close()
    assert run.summary.statuses == {418: 3}


def test_pod_vantage_picks_exec_in_the_named_container(
    api: client.ApiClient, namespace: str
) -> None:
    running_pod(api, namespace, pod_manifest("curl-1", CURL_IMAGE, {"app": "curl"}, sidecar=True))
    running_pod(api, namespace, pod_manifest("bare", CURL_IMAGE, {"app": "bare"}))
    vantages = _vantages(api)
    target = vantages.pod_target(namespace, "app=curl", "curl")
    assert target == ExecTarget(namespace=namespace, pod="curl-1", container="curl", tool="curl")
    with pytest.raises(VantageUnavailable, match="has no sidecar"):
        vantages.pod_target(namespace, "app=bare")
    with pytest.raises(VantageUnavailable, match="no container fortio"):
        vantages.pod_target(namespace, "app=curl", "fortio")
    with pytest.raises(VantageUnavailable, match="no API client to exec with"):
        _vantages(api, with_client=False).pod_target(namespace, "app=curl")


async def test_exec_probe_from_a_curl_pod_gives_engine_like_responses(
    api: client.ApiClient, namespace: str
) -> None:
    ip = running_pod(api, namespace, pod_manifest("curl", CURL_IMAGE))["status"]["podIP"]
    target = ExecTarget(namespace=namespace, pod="curl", container="curl", api_client=api)
    seen: list[Response] = []
    with listener(ip, "httpbin-v2") as port:
        ok = await probe(
            ProbeSpec(url=f"http://{ip}:{port}/headers", count=5, concurrency=2,
                      headers={"x-test": "1"}, classify="header:x-served-by"),
            target, seen.append,
        )  # fmt: skip
        unavailable = await probe(ProbeSpec(url=f"http://{ip}:{port}/?status=503", count=2), target)
    refused = await probe(ProbeSpec(url=f"http://{ip}:{port}/", count=2, timeout=3), target)
    assert [r.status for r in ok.responses] == [200] * 5 and len(seen) == 5
    assert ok.summary.classes == {"httpbin-v2": 5}
    assert unavailable.summary.statuses == {503: 2}
    assert refused.summary.errors == 2 and refused.summary.classes == {"no-answer": 2}
    assert all((r.error or "").startswith("curl: (7)") for r in refused.responses)


async def test_exec_probe_logs_in_first(api: client.ApiClient, namespace: str) -> None:
    ip = running_pod(api, namespace, pod_manifest("curl", CURL_IMAGE))["status"]["podIP"]
    target = ExecTarget(namespace=namespace, pod="curl", container="curl", api_client=api)
    with listener(ip, "productpage") as port:
        spec = ProbeSpec(url=f"http://{ip}:{port}/productpage", count=2, user="jason")
        run = await probe(spec, target)
    assert [r.status for r in run.responses] == [200, 200]
    assert {json.loads(r.body)["cookie"] for r in run.responses} == {"session=jason"}


async def test_exec_probe_from_a_fortio_pod(api: client.ApiClient, namespace: str) -> None:
    ip = running_pod(api, namespace, pod_manifest("fortio", FORTIO_IMAGE))["status"]["podIP"]
    target = ExecTarget(
        namespace=namespace, pod="fortio", container="fortio", tool="fortio", api_client=api
    )
    with listener(ip, "httpbin") as port:
        run = await probe(
            ProbeSpec(url=f"http://{ip}:{port}/get?status=503", count=20, concurrency=3), target
        )
    assert run.summary.total == 20 and run.summary.statuses == {503: 20}


async def test_exec_probe_without_the_tool_says_so(api: client.ApiClient, namespace: str) -> None:
    running_pod(api, namespace, pod_manifest("curl", CURL_IMAGE))
    target = ExecTarget(namespace=namespace, pod="gone", api_client=api)
    with pytest.raises(VantageUnavailable, match='pods "gone" not found'):
        await probe(ProbeSpec(url="http://httpbin:8000/get"), target)


def test_local_vantages_go_to_pod_addresses() -> None:
    from istiotui.local.addresses import bind_port

    pods = {
        "app=curl": {
            "metadata": {"name": "curl-1"},
            "spec": {"containers": [{"name": "curl"}, {"name": "istio-proxy"}]},
            "status": {"phase": "Running", "podIP": "127.10.0.5"},
        },
        "istio=ingressgateway": {
            "metadata": {"name": "istio-ingressgateway-1"},
            "spec": {"containers": [{"name": "istio-proxy"}]},
            "status": {"phase": "Running", "podIP": "127.10.0.2"},
        },
        "app=httpbin": {
            "metadata": {"name": "httpbin-1"},
            "spec": {"containers": [{"name": "httpbin", "ports": [{"containerPort": 80}]}]},
            "status": {"phase": "Running", "podIP": "127.10.0.7"},
        },
    }
    services = {
        "istio-ingressgateway": {
            "metadata": {"name": "istio-ingressgateway"},
            "spec": {"selector": {"istio": "ingressgateway"},
                     "ports": [{"port": 80, "targetPort": 8080}]},
        },
        "httpbin": {
            "metadata": {"name": "httpbin"},
            "spec": {"selector": {"app": "httpbin"}, "ports": [{"port": 8000, "targetPort": 80}]},
        },
    }  # fmt: skip
    local = Vantages(
        cluster="local",
        list_pods=lambda ns, sel: [pods[sel]],
        get_service=lambda ns, name: services.get(name),
        sidecar_of=lambda ip: ip.replace("127.10.", "127.20."),
        bind_port=bind_port,
    )
    # The gateway pod's target port, where the lab's port-forward leads: no host port.
    assert local.ingress_target() == Target("http://127.10.0.2:8080")
    # A privileged container port is reached where its process may bind it.
    assert local.port_forward_target("default", "httpbin", 8000) == Target(
        "http://127.10.0.7:10080"
    )
    target = local.pod_target("default", "app=curl")
    assert target == Target(resolve_to="127.20.0.5")
    assert target.bind_port is bind_port
