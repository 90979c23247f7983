"""Bad writes get the Status a real API server sends, and leave the store as it was."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException
from local_api_helpers import Server

from istiotui.local import admission


def test_writes_are_validated() -> None:
    # Admission falls back to no validation when the validator cannot load: that must not pass.
    assert admission.available()


VS = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "VirtualService",
    "metadata": {"name": "reviews"},
    "spec": {
        "hosts": ["reviews"],
        "http": [{"route": [{"destination": {"host": "reviews", "subset": "v1"}, "weight": 100}]}],
    },
}


def _request(
    server: Server,
    method: str,
    path: str,
    body: bytes | None = None,
    ctype: str = "application/json",
) -> tuple[int, dict, dict[str, str]]:
    req = server.authorized(server.url + path, data=body, method=method)
    req.add_header("Content-Type", ctype)
    try:
        with server.open(req) as resp:
            return resp.status, json.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), dict(err.headers)


def _snapshot(server: Server, namespace: str) -> list[tuple[str, str, str]]:
    """Every object of the namespace that a write could touch, with its resourceVersion."""
    out = []
    for path in (
        f"/api/v1/namespaces/{namespace}/configmaps",
        f"/api/v1/namespaces/{namespace}/services",
        f"/apis/networking.istio.io/v1/namespaces/{namespace}/virtualservices",
    ):
        _, body, _ = _request(server, "GET", path)
        out += [
            (path, i["metadata"]["name"], i["metadata"]["resourceVersion"]) for i in body["items"]
        ]
    return out


@pytest.fixture
def vs_url(namespace: str) -> str:
    return f"/apis/networking.istio.io/v1/namespaces/{namespace}/virtualservices"


def test_unknown_kind_is_not_found(server: Server, namespace: str) -> None:
    before = _snapshot(server, namespace)
    body = json.dumps({"apiVersion": "networking.istio.io/v1", "kind": "Sidecar"}).encode()
    code, status, _ = _request(
        server, "POST", f"/apis/networking.istio.io/v1/namespaces/{namespace}/sidecars", body
    )
    assert (code, status["kind"], status["reason"]) == (404, "Status", "NotFound")
    code, status, _ = _request(server, "GET", "/apis/example.com/v1/widgets")
    assert (code, status["reason"]) == (404, "NotFound")
    # A body whose kind is not the URL's resource is a bad request.
    cm = json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}).encode()
    code, status, _ = _request(server, "POST", f"/api/v1/namespaces/{namespace}/configmaps", cm)
    assert (code, status["reason"]) == (400, "BadRequest")
    assert _snapshot(server, namespace) == before


@pytest.mark.parametrize(
    ("ctype", "body", "where"),
    [
        ("application/json", b'{"apiVersion": "v1", "kind": ', "line 1"),
        ("application/json", b"", "empty"),
        ("application/json", b"[1, 2]", "must be an object"),
    ],
)
def test_malformed_bodies_are_bad_requests(
    server: Server, namespace: str, ctype: str, body: bytes, where: str
) -> None:
    before = _snapshot(server, namespace)
    code, status, _ = _request(
        server, "POST", f"/api/v1/namespaces/{namespace}/configmaps", body, ctype
    )
    assert (code, status["reason"]) == (400, "BadRequest")
    assert where in status["message"]
    assert _snapshot(server, namespace) == before


def test_malformed_apply_yaml_names_the_line(server: Server, namespace: str, vs_url: str) -> None:
    before = _snapshot(server, namespace)
    body = b"apiVersion: networking.istio.io/v1\nkind: VirtualService\nspec: [unclosed\n"
    code, status, _ = _request(
        server,
        "PATCH",
        f"{vs_url}/reviews?fieldManager=t",
        body,
        "application/apply-patch+yaml",
    )
    assert (code, status["reason"]) == (400, "BadRequest")
    assert "line 4" in status["message"] or "line 3" in status["message"]
    assert _snapshot(server, namespace) == before


def test_istio_rejections_are_invalid_with_causes(
    api: client.ApiClient, server: Server, namespace: str
) -> None:
    custom = client.CustomObjectsApi(api)
    custom.create_namespaced_custom_object(
        "networking.istio.io", "v1", namespace, "virtualservices", VS
    )
    before = _snapshot(server, namespace)
    bad = json.loads(json.dumps(VS))
    bad["spec"]["http"][0]["route"][0]["weight"] = -5
    with pytest.raises(ApiException) as err:
        custom.replace_namespaced_custom_object(
            "networking.istio.io", "v1", namespace, "virtualservices", "reviews", bad
        )
    status = json.loads(err.value.body)
    assert (err.value.status, status["reason"]) == (422, "Invalid")
    fields = [c["field"] for c in status["details"]["causes"]]
    assert "spec.http[0].route[0].weight" in fields
    assert status["message"].startswith('VirtualService.networking.istio.io "reviews" is invalid: ')
    with pytest.raises(ApiException):  # the same through a merge patch
        custom.patch_namespaced_custom_object(
            "networking.istio.io",
            "v1",
            namespace,
            "virtualservices",
            "reviews",
            {"spec": bad["spec"]},
        )
    assert _snapshot(server, namespace) == before


def test_field_validation_modes(server: Server, namespace: str) -> None:
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"foo": 1, "ports": [{"port": 80}]},
    }
    path = f"/api/v1/namespaces/{namespace}/services"
    before = _snapshot(server, namespace)
    code, status, _ = _request(
        server, "POST", path + "?fieldValidation=Strict", json.dumps(svc).encode()
    )
    assert (code, status["reason"]) == (400, "BadRequest")
    assert status["message"].endswith('strict decoding error: unknown field "spec.foo"')
    assert _snapshot(server, namespace) == before

    code, created, headers = _request(
        server, "POST", path + "?fieldValidation=Warn", json.dumps(svc).encode()
    )
    assert code == 201 and "foo" not in created["spec"]
    assert headers["Warning"] == '299 - "unknown field \\"spec.foo\\""'

    svc["metadata"]["name"] = "s2"
    code, created, headers = _request(
        server, "POST", path + "?fieldValidation=Ignore", json.dumps(svc).encode()
    )
    assert code == 201 and "foo" not in created["spec"] and "Warning" not in headers


def test_stale_resource_version_in_a_patch(server: Server, namespace: str) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "p"}, "data": {"a": "1"}}
    _, created, _ = _request(server, "POST", path, json.dumps(cm).encode())
    rv = created["metadata"]["resourceVersion"]
    patch = {"metadata": {"resourceVersion": rv}, "data": {"a": "2"}}
    code, _, _ = _request(
        server, "PATCH", f"{path}/p", json.dumps(patch).encode(), "application/merge-patch+json"
    )
    assert code == 200
    before = _snapshot(server, namespace)
    patch["data"] = {"a": "3"}  # the same resourceVersion again: now stale
    code, status, _ = _request(
        server, "PATCH", f"{path}/p", json.dumps(patch).encode(), "application/merge-patch+json"
    )
    assert (code, status["reason"]) == (409, "Conflict")
    assert _snapshot(server, namespace) == before


def test_create_twice_and_missing_namespace(server: Server, namespace: str) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    cm = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dup"}}).encode()
    assert _request(server, "POST", path, cm)[0] == 201
    code, status, _ = _request(server, "POST", path, cm)
    assert (code, status["reason"], status["message"]) == (
        409,
        "AlreadyExists",
        'configmaps "dup" already exists',
    )
    assert status["details"] == {"name": "dup", "kind": "configmaps"}
    code, status, _ = _request(server, "POST", "/api/v1/namespaces/nowhere/configmaps", cm)
    assert (code, status["reason"], status["message"]) == (
        404,
        "NotFound",
        'namespaces "nowhere" not found',
    )
    bad_name = json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}}
    )
    code, status, _ = _request(server, "POST", path, bad_name.encode())
    assert (code, status["reason"]) == (422, "Invalid")
    assert status["details"]["causes"][0]["field"] == "metadata.name"


def test_what_is_not_served_is_method_not_allowed(server: Server, namespace: str) -> None:
    code, status, _ = _request(
        server, "POST", f"/api/v1/namespaces/{namespace}/pods/p/proxy", b"{}"
    )
    assert (code, status["reason"]) == (405, "MethodNotAllowed")
    code, status, _ = _request(server, "PUT", f"/api/v1/namespaces/{namespace}/configmaps", b"{}")
    assert (code, status["reason"]) == (405, "MethodNotAllowed")
    code, status, _ = _request(
        server, "PATCH", f"/api/v1/namespaces/{namespace}/configmaps/x", b"{}", "text/plain"
    )
    assert code in (404, 415)


def test_stale_resource_version_in_an_apply(server: Server, namespace: str, vs_url: str) -> None:
    body = json.dumps(VS).encode()
    code, created, _ = _request(
        server, "PATCH", f"{vs_url}/reviews?fieldManager=t", body, "application/apply-patch+yaml"
    )
    assert code == 201
    stale = json.loads(json.dumps(VS))
    stale["metadata"]["resourceVersion"] = str(int(created["metadata"]["resourceVersion"]) - 1)
    stale["spec"]["hosts"] = ["other"]
    before = _snapshot(server, namespace)
    code, status, _ = _request(
        server,
        "PATCH",
        f"{vs_url}/reviews?fieldManager=t",
        json.dumps(stale).encode(),
        "application/apply-patch+yaml",
    )
    assert (code, status["reason"]) == (409, "Conflict")
    assert _snapshot(server, namespace) == before
