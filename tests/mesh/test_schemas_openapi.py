"""`schema_for`: the OpenAPI v3 schemas served to kubectl, with Kubernetes' extensions."""

from __future__ import annotations

import json

import pytest

from istiotui.mesh.validation import schema_for, served_kinds


def _at(schema: dict, *path: str) -> dict:
    node = schema
    for step in path:
        node = node["items"] if step == "[]" else node["properties"][step]
    return node


def test_gvk_extension() -> None:
    schema = schema_for("apps", "v1", "Deployment")
    assert schema is not None
    assert schema["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}
    ]
    vs = schema_for("networking.istio.io", "v1beta1", "VirtualService")
    assert vs is not None
    assert vs["x-kubernetes-group-version-kind"][0]["version"] == "v1beta1"


def test_unknown_kinds_and_versions_have_no_schema() -> None:
    assert schema_for("networking.istio.io", "v2", "VirtualService") is None
    assert schema_for("", "v1", "Widget") is None
    assert schema_for("apps", "v1", "Service") is None


POD_SPEC = ("spec", "template", "spec")


@pytest.mark.parametrize(
    ("path", "merge_key", "map_keys"),
    [
        ((*POD_SPEC, "containers"), "name", ["name"]),
        ((*POD_SPEC, "containers", "[]", "ports"), "containerPort", ["containerPort", "protocol"]),
        ((*POD_SPEC, "containers", "[]", "env"), "name", ["name"]),
        ((*POD_SPEC, "containers", "[]", "volumeMounts"), "mountPath", ["mountPath"]),
        ((*POD_SPEC, "volumes"), "name", ["name"]),
        ((*POD_SPEC, "imagePullSecrets"), "name", ["name"]),
        ((*POD_SPEC, "initContainers"), "name", ["name"]),
    ],
)
def test_deployment_strategic_merge_metadata(path: tuple, merge_key: str, map_keys: list) -> None:
    node = _at(schema_for("apps", "v1", "Deployment"), *path)
    assert node["type"] == "array"
    assert node["x-kubernetes-patch-merge-key"] == merge_key
    assert node["x-kubernetes-patch-strategy"].startswith("merge")
    assert node["x-kubernetes-list-type"] == "map"
    assert node["x-kubernetes-list-map-keys"] == map_keys


def test_service_ports_merge_by_port() -> None:
    ports = _at(schema_for("", "v1", "Service"), "spec", "ports")
    assert ports["x-kubernetes-patch-merge-key"] == "port"
    assert ports["x-kubernetes-list-map-keys"] == ["port", "protocol"]
    target = _at(ports, "[]", "targetPort")
    assert target["x-kubernetes-int-or-string"] is True


def test_pod_has_the_same_container_metadata() -> None:
    containers = _at(schema_for("", "v1", "Pod"), "spec", "containers")
    assert containers["x-kubernetes-patch-merge-key"] == "name"


def test_maps_of_strings_and_open_objects() -> None:
    cm = schema_for("", "v1", "ConfigMap")
    assert _at(cm, "data")["additionalProperties"] == {"type": "string"}
    assert _at(cm, "metadata", "labels")["additionalProperties"] == {"type": "string"}
    assert _at(cm, "metadata", "annotations")["additionalProperties"] == {"type": "string"}
    operator = schema_for("install.istio.io", "v1alpha1", "IstioOperator")
    assert _at(operator, "spec")["x-kubernetes-preserve-unknown-fields"] is True
    assert _at(operator, "spec", "values")["x-kubernetes-preserve-unknown-fields"] is True
    dr = schema_for("networking.istio.io", "v1", "DestinationRule")
    assert _at(dr, "status")["x-kubernetes-preserve-unknown-fields"] is True
    assert _at(dr, "spec")["required"] == ["host"]


def test_schema_for_returns_an_independent_copy() -> None:
    first = schema_for("apps", "v1", "Deployment")
    first["properties"]["spec"]["properties"].clear()
    again = schema_for("apps", "v1", "Deployment")
    assert "replicas" in again["properties"]["spec"]["properties"]


def test_every_served_schema_is_plain_json() -> None:
    kinds = served_kinds()
    assert ("networking.istio.io", "v1alpha3", "Gateway", True) in kinds
    assert ("", "v1", "Namespace", False) in kinds
    for group, version, kind, _ in kinds:
        schema = schema_for(group, version, kind)
        assert schema is not None and schema["type"] == "object"
        json.dumps(schema)  # serialisable as served
        assert {"apiVersion", "kind", "metadata"} <= set(schema["properties"])
