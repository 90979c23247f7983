"""The kubernetes Python client against the real local API server: CRUD, selectors, patches,
custom objects, the dynamic client and server-side apply (with and without dry run)."""

from __future__ import annotations

import json

import pytest
import yaml
from kubernetes import client, dynamic
from kubernetes.client.rest import ApiException
from local_api_helpers import MANIFESTS, wait_for

ISTIO = ("networking.istio.io", "v1")


def _configmap(name: str, labels: dict[str, str] | None = None) -> dict:
    return {"metadata": {"name": name, "labels": labels or {}}, "data": {"k": "v"}}


def test_discovery_version_and_groups(api: client.ApiClient) -> None:
    info = client.VersionApi(api).get_code()
    assert (info.major, info.minor) == ("1", "32")
    groups = {g.name: g for g in client.ApisApi(api).get_api_versions().groups}
    assert groups["networking.istio.io"].preferred_version.version == "v1"
    assert [v.version for v in groups["networking.istio.io"].versions] == [
        "v1",
        "v1beta1",
        "v1alpha3",
    ]
    resources = client.CoreV1Api(api).get_api_resources().resources
    pods = next(r for r in resources if r.name == "pods")
    assert pods.namespaced and pods.kind == "Pod" and "watch" in pods.verbs
    assert "pods/log" in {r.name for r in resources}


def test_core_crud_round_trip(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    created = core.create_namespaced_config_map(namespace, _configmap("one", {"app": "a"}))
    assert created.metadata.uid and created.metadata.resource_version
    assert created.metadata.creation_timestamp is not None
    got = core.read_namespaced_config_map("one", namespace)
    assert got.data == {"k": "v"} and got.metadata.uid == created.metadata.uid

    got.data = {"k": "w"}
    replaced = core.replace_namespaced_config_map("one", namespace, got)
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)

    core.delete_namespaced_config_map("one", namespace)
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("one", namespace)
    assert err.value.status == 404
    assert '"reason": "NotFound"' in err.value.body.replace('":"', '": "')


def test_list_with_label_and_field_selectors(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map(namespace, _configmap("a1", {"app": "a", "tier": "x"}))
    core.create_namespaced_config_map(namespace, _configmap("a2", {"app": "a", "tier": "y"}))
    core.create_namespaced_config_map(namespace, _configmap("b1", {"app": "b"}))

    def names(**kw: str) -> list[str]:
        return [i.metadata.name for i in core.list_namespaced_config_map(namespace, **kw).items]

    assert names(label_selector="app=a") == ["a1", "a2"]
    assert names(label_selector="app=a,tier!=x") == ["a2"]
    assert names(label_selector="tier in (x,z)") == ["a1"]
    assert names(label_selector="!tier") == ["b1"]
    assert names(field_selector="metadata.name=b1") == ["b1"]
    assert names(field_selector="metadata.name!=b1", label_selector="tier") == ["a1", "a2"]
    everywhere = client.CoreV1Api(api).list_config_map_for_all_namespaces(label_selector="app=b")
    assert [(i.metadata.namespace, i.metadata.name) for i in everywhere.items] == [
        (namespace, "b1")
    ]


def test_stale_resource_version_is_a_conflict(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    first = core.create_namespaced_config_map(namespace, _configmap("c"))
    first.data = {"k": "1"}
    core.replace_namespaced_config_map("c", namespace, first)
    first.data = {"k": "2"}  # still carries the old resourceVersion
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("c", namespace, first)
    assert err.value.status == 409
    assert "the object has been modified" in err.value.body
    assert core.read_namespaced_config_map("c", namespace).data == {"k": "1"}


def test_patches_merge_and_strategic(api: client.ApiClient, namespace: str) -> None:
    apps = client.AppsV1Api(api)
    deploy = yaml.safe_load(
        """
        metadata: {name: web, labels: {app: web}}
        spec:
          replicas: 1
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - {name: web, image: docker.io/istio/examples-bookinfo-details-v1:1.20.2}
              - {name: side, image: docker.io/curlimages/curl}
        """
    )
    apps.create_namespaced_deployment(namespace, deploy)
    # The client sends a strategic merge patch for a dict body: containers merge by name.
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "x/y:2"}]}}}}
    out = apps.patch_namespaced_deployment("web", namespace, patch)
    images = {c.name: c.image for c in out.spec.template.spec.containers}
    assert images == {"web": "docker.io/istio/examples-bookinfo-details-v1:1.20.2", "side": "x/y:2"}
    assert out.metadata.generation == 2
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map(namespace, _configmap("m", {"a": "1", "b": "2"}))
    merged = core.patch_namespaced_config_map(
        "m", namespace, {"metadata": {"labels": {"a": None, "c": "3"}}}
    )
    assert merged.metadata.labels == {"b": "2", "c": "3"}


def test_deployment_makes_pods_with_sidecars(api: client.ApiClient, namespace: str) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    core.patch_namespace(namespace, {"metadata": {"labels": {"istio-injection": "enabled"}}})
    docs = list(yaml.safe_load_all((MANIFESTS / "bookinfo.yaml").read_text()))
    svc = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "reviews")
    sa = next(
        d
        for d in docs
        if d["kind"] == "ServiceAccount" and d["metadata"]["name"] == "bookinfo-reviews"
    )
    dep = next(
        d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "reviews-v1"
    )
    core.create_namespaced_service_account(namespace, sa)
    created_svc = core.create_namespaced_service(namespace, svc)
    assert created_svc.spec.cluster_ip and created_svc.spec.cluster_ip.startswith("10.")
    apps.create_namespaced_deployment(namespace, dep)

    def ready_pods() -> list[client.V1Pod]:
        pods = core.list_namespaced_pod(namespace, label_selector="app=reviews,version=v1").items
        return [
            p
            for p in pods
            if p.status.container_statuses and all(c.ready for c in p.status.container_statuses)
        ]

    (pod,) = wait_for(ready_pods, "the reviews-v1 pod to be ready")
    assert pod.metadata.name.startswith("reviews-v1-")
    assert [c.name for c in pod.spec.containers] == ["reviews", "istio-proxy"]
    assert pod.status.phase == "Running" and pod.status.pod_ip.startswith("127.10.")
    assert pod.metadata.owner_references[0].name == "reviews-v1"

    def endpoints_ready() -> bool:
        eps = core.read_namespaced_endpoints("reviews", namespace)
        return bool(eps.subsets) and [a.ip for a in eps.subsets[0].addresses] == [pod.status.pod_ip]

    wait_for(endpoints_ready, "reviews endpoints to list the pod")
    status = wait_for(
        lambda: (
            (d := apps.read_namespaced_deployment("reviews-v1", namespace).status).ready_replicas
            and d
        ),
        "deployment status",
    )
    assert (status.replicas, status.ready_replicas, status.available_replicas) == (1, 1, 1)
    reasons = {e.reason for e in core.list_namespaced_event(namespace).items}
    assert {"ScalingReplicaSet", "Scheduled", "Started"} <= reasons

    # The same deployment in another run gets the same pod name: names are derived, not random.
    apps.delete_namespaced_deployment("reviews-v1", namespace)
    wait_for(
        lambda: not core.list_namespaced_pod(namespace).items, "the pods to go with the deployment"
    )
    apps.create_namespaced_deployment(namespace, dep)
    again = wait_for(lambda: core.list_namespaced_pod(namespace).items, "the pod to come back")
    assert again[0].metadata.name == pod.metadata.name


def test_pods_keep_what_they_got_at_creation(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    pod = {
        "metadata": {"name": "bare"},
        "spec": {"containers": [{"name": "c", "image": "docker.io/curlimages/curl"}]},
    }
    assert [c.name for c in core.create_namespaced_pod(namespace, pod).spec.containers] == ["c"]
    core.patch_namespace(namespace, {"metadata": {"labels": {"istio-injection": "enabled"}}})
    assert [c.name for c in core.read_namespaced_pod("bare", namespace).spec.containers] == ["c"]
    pod["metadata"]["name"] = "injected"
    names = [c.name for c in core.create_namespaced_pod(namespace, pod).spec.containers]
    assert names == ["c", "istio-proxy"]


def test_custom_objects_in_every_served_version(api: client.ApiClient, namespace: str) -> None:
    custom = client.CustomObjectsApi(api)
    docs = list(yaml.safe_load_all((MANIFESTS / "networking.yaml").read_text()))
    dr = next(d for d in docs if d["kind"] == "DestinationRule")
    created = custom.create_namespaced_custom_object(*ISTIO, namespace, "destinationrules", dr)
    assert created["metadata"]["generation"] == 1
    old = custom.get_namespaced_custom_object(
        "networking.istio.io", "v1alpha3", namespace, "destinationrules", "reviews"
    )
    assert old["apiVersion"] == "networking.istio.io/v1alpha3"
    assert old["spec"] == created["spec"]
    patched = custom.patch_namespaced_custom_object(
        *ISTIO,
        namespace,
        "destinationrules",
        "reviews",
        {"spec": {"subsets": [{"name": "v1", "labels": {"version": "v1"}}]}},
    )
    assert [s["name"] for s in patched["spec"]["subsets"]] == ["v1"]
    assert patched["metadata"]["generation"] == 2
    listed = custom.list_namespaced_custom_object(*ISTIO, namespace, "destinationrules")
    assert [i["metadata"]["name"] for i in listed["items"]] == ["reviews"]
    custom.delete_namespaced_custom_object(*ISTIO, namespace, "destinationrules", "reviews")
    with pytest.raises(ApiException) as err:
        custom.get_namespaced_custom_object(*ISTIO, namespace, "destinationrules", "reviews")
    assert err.value.status == 404


def test_dynamic_client_server_side_apply(api: client.ApiClient, namespace: str) -> None:
    dyn = dynamic.DynamicClient(api)
    vs_api = dyn.resources.get(api_version="networking.istio.io/v1", kind="VirtualService")
    docs = list(yaml.safe_load_all((MANIFESTS / "networking.yaml").read_text()))
    vs = next(
        d for d in docs if d["kind"] == "VirtualService" and d["metadata"]["name"] == "reviews"
    )
    vs["metadata"]["namespace"] = namespace

    dry = vs_api.server_side_apply(body=vs, field_manager="lab", dry_run="All")
    assert dry.spec.http[0].route[1].weight == 50
    with pytest.raises(dynamic.exceptions.NotFoundError):
        vs_api.get(name="reviews", namespace=namespace)

    applied = vs_api.server_side_apply(body=vs, field_manager="lab")
    managers = {(m.manager, m.operation) for m in applied.metadata.managedFields}
    assert ("lab", "Apply") in managers

    # Another manager changing a field "lab" owns is a conflict, unless forced.
    other = {**vs, "spec": {**vs["spec"], "hosts": ["reviews.other"]}}
    with pytest.raises(dynamic.exceptions.ConflictError) as err:
        vs_api.server_side_apply(body=other, field_manager="intruder")
    status = json.loads(err.value.body)
    assert status["message"] == 'Apply failed with 1 conflict: conflict with "lab": .spec.hosts'
    assert status["details"]["causes"][0]["field"] == ".spec.hosts"
    forced = vs_api.server_side_apply(body=other, field_manager="intruder", force_conflicts=True)
    assert forced.spec.hosts == ["reviews.other"]

    # Dropping a field from the applied configuration removes it (lab owns it alone).
    smaller = {**vs, "spec": {"hosts": vs["spec"]["hosts"]}}
    after = vs_api.server_side_apply(body=smaller, field_manager="lab", force_conflicts=True)
    assert "http" not in after.spec
    assert vs_api.get(name="reviews", namespace=namespace).spec.hosts == ["reviews"]


def test_dry_run_on_every_write(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    created = core.create_namespaced_config_map(namespace, _configmap("dry"), dry_run="All")
    assert created.metadata.name == "dry"
    with pytest.raises(ApiException):
        core.read_namespaced_config_map("dry", namespace)
    core.create_namespaced_config_map(namespace, _configmap("real"))
    before = core.read_namespaced_config_map("real", namespace)
    core.patch_namespaced_config_map("real", namespace, {"data": {"k": "patched"}}, dry_run="All")
    body = core.read_namespaced_config_map("real", namespace)
    body.data = {"k": "replaced"}
    core.replace_namespaced_config_map("real", namespace, body, dry_run="All")
    core.delete_namespaced_config_map("real", namespace, dry_run="All")
    after = core.read_namespaced_config_map("real", namespace)
    assert after.data == {"k": "v"}
    assert after.metadata.resource_version == before.metadata.resource_version


def test_every_namespace_gets_a_default_service_account(
    api: client.ApiClient, namespace: str
) -> None:
    core = client.CoreV1Api(api)

    def names() -> list[str]:
        return [sa.metadata.name for sa in core.list_namespaced_service_account(namespace).items]

    assert wait_for(names, "the default service account") == ["default"]


def test_scale_subresource(api: client.ApiClient, namespace: str) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    dep = next(
        d
        for d in yaml.safe_load_all((MANIFESTS / "httpbin.yaml").read_text())
        if d["kind"] == "Deployment"
    )
    apps.create_namespaced_deployment(namespace, dep)
    scale = apps.read_namespaced_deployment_scale("httpbin-v1", namespace)
    assert (scale.spec.replicas, scale.status.selector) == (1, "app=httpbin,version=v1")
    apps.patch_namespaced_deployment_scale("httpbin-v1", namespace, {"spec": {"replicas": 3}})

    def three_pods() -> list[client.V1Pod] | None:
        items = core.list_namespaced_pod(namespace).items
        return items if len(items) == 3 else None

    pods = wait_for(three_pods, "three httpbin pods")
    assert len({p.metadata.name for p in pods}) == 3
    with pytest.raises(ApiException) as err:
        apps.patch_namespaced_deployment_scale("httpbin-v1", namespace, {"spec": {"replicas": -1}})
    assert err.value.status == 422
    assert apps.read_namespaced_deployment("httpbin-v1", namespace).spec.replicas == 3
