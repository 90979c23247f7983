"""The local API as a real API server guards itself: the owner's token, kept only in the local
kubeconfig (0600, in a 0700 state dir), over TLS; 401 Unauthorized without it, for every route
that says something about the cluster — exec and port-forward included."""

from __future__ import annotations

import json
import stat
import urllib.error
import urllib.request

import pytest
import yaml
from kubernetes import client

from faults.conftest import MakeCluster
from istiotui.local import api_tls
from istiotui.local.kubeconfig import new_token, read_token

_NO_CREDENTIALS = [
    "/api/v1/namespaces",
    "/apis/networking.istio.io/v1/virtualservices",
    "/api/v1/namespaces/default/pods?watch=true",
    "/api/v1/namespaces/default/pods/any/exec?command=id&stdout=true",
    "/api/v1/namespaces/default/pods/any/portforward?ports=80",
    "/api/v1/namespaces/default/pods/any/log",
    "/version",
    "/openapi/v3",
]


def _get(url: str, context: object, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as resp:  # type: ignore[arg-type]
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def test_without_the_token_every_request_is_401(fault_cluster: MakeCluster) -> None:
    cluster = fault_cluster("no-token")
    running = cluster.state
    base = f"https://127.0.0.1:{cluster.env['ISTIOTUI_API_PORT']}"
    trust = api_tls.client_context(running.root)
    unauthorized = {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "Unauthorized", "reason": "Unauthorized", "code": 401,
    }  # fmt: skip
    for path in _NO_CREDENTIALS:
        assert _get(base + path, trust) == (401, unauthorized), path
        assert _get(base + path, trust, "not-the-token") == (401, unauthorized), path
    token = read_token(running.kubeconfig)
    assert _get(base + "/api/v1/namespaces/default", trust, token)[0] == 200
    # The health probes say nothing about the cluster: open, as kube-apiserver's are.
    with urllib.request.urlopen(base + "/healthz", timeout=5, context=trust) as resp:
        assert resp.read() == b"ok"
    # A client that does not trust the cluster's CA cannot talk to it at all.
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(base + "/healthz", timeout=5)


def test_the_credential_is_private(fault_cluster: MakeCluster) -> None:
    cluster = fault_cluster("private")
    root = cluster.state.root
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE(cluster.state.kubeconfig.stat().st_mode) == 0o600
    for key in (root / "tls").glob("*.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
    # The token is in the kubeconfig and nowhere else in the state dir.
    token = read_token(cluster.state.kubeconfig)
    holders = [p.name for p in root.rglob("*") if p.is_file() and token.encode() in p.read_bytes()]
    assert holders == ["kubeconfig"]


def test_kubectl_and_the_client_work_with_the_kubeconfig_only(fault_cluster: MakeCluster) -> None:
    cluster = fault_cluster("kubectl")
    created = cluster.kubectl("create", "configmap", "c1", "--from-literal=a=1")
    assert created.returncode == 0, created.stderr
    with cluster.api() as api:
        assert client.CoreV1Api(api).read_namespaced_config_map("c1", "default").data == {"a": "1"}
    # The same kubeconfig with another token: kubectl is refused as by any cluster.
    doc = yaml.safe_load(cluster.state.kubeconfig.read_text())
    doc["users"][0]["user"] = {"token": new_token()}
    stranger = cluster.home / "stranger.kubeconfig"
    stranger.write_text(yaml.safe_dump(doc))
    refused = cluster.kubectl("--kubeconfig", str(stranger), "get", "configmaps")
    assert refused.returncode == 1
    assert "error: You must be logged in to the server" in refused.stderr
