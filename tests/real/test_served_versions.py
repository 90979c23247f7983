"""A local cluster that serves Istio's networking API as an older Istio does (v1beta1 and v1alpha3
only): discovery lists just those, and a `networking.istio.io/v1` manifest is refused with the
API's message while the same object at v1beta1 is stored."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes import client, config

from istiotui.cluster.errors import ClusterError
from istiotui.cluster.objects import Objects
from istiotui.local import daemon
from istiotui.local.served_versions import ENV
from istiotui.local.state import StateDir
from real.helpers import start_cluster

VIRTUAL_SERVICE = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "VirtualService",
    "metadata": {"name": "reviews", "namespace": "default"},
    "spec": {"hosts": ["reviews"], "http": [{"route": [{"destination": {"host": "reviews"}}]}]},
}


@pytest.fixture(scope="module")
def older_istio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[client.ApiClient]:
    state = StateDir(tmp_path_factory.mktemp("older-istio"))
    start_cluster(state, ISTIOTUI_LOCAL_DATA_PLANE="0", **{ENV: "v1beta1,v1alpha3"})
    api = config.new_client_from_config(config_file=str(state.kubeconfig))
    try:
        yield api
    finally:
        api.close()
        daemon.down(state)


def served(api: client.ApiClient) -> list[str]:
    groups = client.ApisApi(api).get_api_versions().groups or []
    group = next(g for g in groups if g.name == "networking.istio.io")
    return [v.version for v in group.versions or []]


def test_all_versions_are_served_by_default(api: client.ApiClient) -> None:
    assert served(api) == ["v1", "v1beta1", "v1alpha3"]


def test_only_v1beta1_served_refuses_v1_and_stores_v1beta1(older_istio: client.ApiClient) -> None:
    assert served(older_istio) == ["v1beta1", "v1alpha3"]
    objects = Objects(older_istio)
    with pytest.raises(
        ClusterError, match=r"does not serve VirtualService \(networking.istio.io/v1\)"
    ):
        objects.apply([VIRTUAL_SERVICE])
    older = {**VIRTUAL_SERVICE, "apiVersion": "networking.istio.io/v1beta1"}
    stored = objects.apply([older])[0].after
    assert stored["apiVersion"] == "networking.istio.io/v1beta1"
    assert stored["spec"]["hosts"] == ["reviews"]
