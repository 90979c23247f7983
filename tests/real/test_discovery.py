"""Discovery against the local API server: Istio's served networking versions (all, and "only
v1beta1" as an older Istio serves them), manifests adapted to them, Istio's release from istiod,
injection labels, the gateways' Services and the LoadBalancer → ClusterIP patch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes import client, config

from istiotui.cluster import discovery
from istiotui.cluster.errors import ClusterError
from istiotui.cluster.objects import Objects
from istiotui.local import daemon
from istiotui.local.served_versions import ENV
from istiotui.local.state import StateDir
from real.helpers import start_cluster

VIRTUAL_SERVICE = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "VirtualService",
    "metadata": {"name": "reviews"},
    "spec": {"hosts": ["reviews"], "http": [{"route": [{"destination": {"host": "reviews"}}]}]},
}


@pytest.fixture(scope="module")
def older_istio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[client.ApiClient]:
    """A second local cluster that serves networking.istio.io v1beta1 and v1alpha3 only."""
    state = StateDir(tmp_path_factory.mktemp("older-istio"))
    start_cluster(state, ISTIOTUI_LOCAL_DATA_PLANE="0", **{ENV: "v1beta1,v1alpha3"})
    api = config.new_client_from_config(config_file=str(state.kubeconfig))
    try:
        yield api
    finally:
        api.close()
        daemon.down(state)


def test_v1_is_chosen_when_served(api: client.ApiClient) -> None:
    assert discovery.served_versions(api) == ["v1", "v1beta1", "v1alpha3"]
    assert discovery.networking_version(api) == "v1"
    assert discovery.adapt(VIRTUAL_SERVICE, "v1") is VIRTUAL_SERVICE


def test_only_v1beta1_served_adapts_the_manifests(older_istio: client.ApiClient) -> None:
    assert discovery.served_versions(older_istio) == ["v1beta1", "v1alpha3"]
    version = discovery.networking_version(older_istio)
    assert version == "v1beta1"
    objects = Objects(older_istio)
    with pytest.raises(
        ClusterError, match=r"does not serve VirtualService \(networking.istio.io/v1\)"
    ):
        objects.apply([{**VIRTUAL_SERVICE, "metadata": {"name": "r", "namespace": "default"}}])
    adapted = discovery.adapt(
        {**VIRTUAL_SERVICE, "metadata": {"name": "reviews", "namespace": "default"}}, version
    )
    assert adapted["apiVersion"] == "networking.istio.io/v1beta1"
    stored = objects.apply([adapted])[0].after
    assert stored["apiVersion"] == "networking.istio.io/v1beta1"
    assert stored["spec"]["hosts"] == ["reviews"]
    other = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}}
    assert discovery.adapt(other, version) is other


def test_no_istio_api_is_a_clear_error() -> None:
    with pytest.raises(ClusterError, match=r"serves no networking\.istio\.io API"):
        discovery.choose_version([])


def test_istio_release_from_istiods_image(api: client.ApiClient, istio_system: str) -> None:
    objects = Objects(api)
    assert discovery.istio_install(objects) == discovery.IstioInstall(False)
    labels = {"app": "istiod"}
    istiod = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "istiod", "namespace": istio_system, "labels": labels},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "discovery",
                                         "image": "docker.io/istio/pilot:1.24.2"}]},
            },
        },
    }  # fmt: skip
    objects.apply([istiod])
    found = discovery.istio_install(objects)
    assert (found.installed, found.version) == (True, "1.24.2")
    assert found.image == "docker.io/istio/pilot:1.24.2"


def test_injection_labels(api: client.ApiClient, namespace: str) -> None:
    objects = Objects(api)
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
    objects.patch(ns, {"metadata": {"labels": {"istio-injection": "enabled"}}})
    found = discovery.injection(objects.list("v1", "Namespace"))
    assert found[namespace] == "enabled"
    objects.patch(ns, {"metadata": {"labels": {"istio-injection": None, "istio.io/rev": "canary"}}})
    assert discovery.injection(objects.list("v1", "Namespace"))[namespace] == "revision canary"
    assert discovery.injection([{"metadata": {"name": "a"}}]) == {"a": "off"}


def test_gateways_and_the_cluster_ip_patch(api: client.ApiClient, istio_system: str) -> None:
    objects = Objects(api)
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "istio-ingressgateway", "namespace": istio_system,
                     "labels": {"istio": "ingressgateway"}},
        "spec": {
            "type": "LoadBalancer",
            "externalTrafficPolicy": "Cluster",
            "selector": {"istio": "ingressgateway"},
            "ports": [
                {"name": "http2", "port": 80, "targetPort": 8080, "nodePort": 31080},
                {"name": "https", "port": 443, "targetPort": 8443, "nodePort": 31443},
            ],
        },
    }  # fmt: skip
    objects.apply([service])
    (gateway,) = discovery.gateways(objects)
    assert (gateway.name, gateway.role, gateway.type) == (
        "istio-ingressgateway", "ingressgateway", "LoadBalancer"
    )  # fmt: skip
    assert [(p.port, p.target_port, p.node_port) for p in gateway.ports] == [
        (80, 8080, 31080), (443, 8443, 31443)
    ]  # fmt: skip
    patched = discovery.ingress_to_cluster_ip(objects)
    assert patched["spec"]["type"] == "ClusterIP"
    assert "externalTrafficPolicy" not in patched["spec"]
    assert all("nodePort" not in p for p in patched["spec"]["ports"])
    (after,) = discovery.gateways(objects)
    assert after.type == "ClusterIP" and [p.port for p in after.ports] == [80, 443]
    with pytest.raises(ClusterError, match="not found"):
        discovery.ingress_to_cluster_ip(objects, "istio-egressgateway")
